"""After a redemption: what was released is on record for the citizen (使用紀錄), and the citizen is told.

Each redemption leaves one row in ``releases``: transaction id, citizen, agency, service and the dataset and
field *keys* released — never a value. The kiosk shows the last 12 months of them to the proved citizen
(``records``). The notice ("your data was accessed": agency, service, each dataset with the fields released,
time, transaction id, support line, as seed 000's mail shows) goes to the citizen's verified main contact only
(``Contacts.notice_target``): e-mail over the sandbox's SMTP relay, or SMS; a citizen who registered none gets
no notice, and the record of use is there all the same.
"""

from __future__ import annotations

import json
from datetime import datetime

from broker_client.models import Redemption, Text
from broker_client.models_citizen import UsageDataset, UsageRecord, UsageRecords
from broker_sandbox.citizens import find_citizen
from broker_sandbox.contacts import Contacts
from broker_sandbox.flow_base import SandboxFlow, timestamp

RECORDS_KEPT_S = 365 * 24 * 3600  # 12 months


def _text(value: str) -> Text:
    return Text.model_validate({"zh-TW": value})


class Usage:
    def __init__(self, flow: SandboxFlow, contacts: Contacts) -> None:
        self.flow = flow
        self.contacts = contacts

    def after_redemption(self, national_id: str, agency_id: str, service_id: str, redemption: Redemption,
                         now: float) -> None:  # fmt: skip
        """Put the release on record, then notify the citizen's verified main contact (if any)."""
        datasets = [{"id": d.id, "fields": [f.key for f in d.fields]} for d in redemption.datasets]
        db = self.flow.store.db
        db.table("releases").insert({
            "transaction_id": redemption.transaction_id, "national_id": national_id, "agency_id": agency_id,
            "service_id": service_id, "datasets": json.dumps(datasets), "accessed_at": now,
        }, replace=True)  # fmt: skip
        db.execute("DELETE FROM releases WHERE accessed_at < ?", [now - RECORDS_KEPT_S])
        self.notify(national_id, redemption, now)

    def notify(self, national_id: str, redemption: Redemption, now: float) -> None:
        target = self.contacts.notice_target(national_id)
        citizen = find_citizen(self.flow.settings.seed, self.flow.settings.citizens, national_id)
        if target is None or citizen is None:
            return
        kind, address = target
        when = datetime.fromtimestamp(now).strftime("%Y-%m-%d %H:%M:%S")
        service_zh, agency_zh, agency_en = (
            redemption.service.get("zh-TW"), redemption.agency.get("zh-TW"), redemption.agency.get("en"),
        )  # fmt: skip
        tx = redemption.transaction_id
        if kind == "phone":
            names = "、".join(d.name.get("zh-TW") for d in redemption.datasets)
            self.flow.outbox.send_sms(
                address,
                f"【MyData】您的資料（{names}）已於 {when} 由 {agency_zh} 臨櫃核驗取用，交易序號 {tx}。"
                f"非本人申辦請洽 0800-009-868。Your data was accessed by {agency_en}; transaction {tx}.",
            )
            return
        lines_zh = "\n".join(
            f"・{d.name.get('zh-TW')}：{'、'.join(f.name.get('zh-TW') for f in d.fields)}" for d in redemption.datasets
        )
        lines_en = "\n".join(
            f"- {d.name.get('en')}: {', '.join(f.name.get('en') for f in d.fields)}" for d in redemption.datasets
        )
        body = (
            f"{citizen.name} 您好：\n\n您於 MyData 平臺同意提供的資料已由 {agency_zh} 臨櫃核驗取用。\n"
            f"服務：{service_zh}\n資料集與欄位：\n{lines_zh}\n時間：{when}\n交易序號：{tx}\n\n"
            "如有任何疑問或非您本人申辦，請洽客服電話：0800-009-868，或寄信至客服信箱：mydata@moda.gov.tw\n"
            "您可在臨櫃自助機「查詢使用紀錄」查看過去 12 個月的紀錄。\n\n"
            f"Your data was accessed at the counter of {agency_en} on {when}; transaction {tx}.\n"
            f"Service: {redemption.service.get('en')}\nDatasets and fields:\n{lines_en}\n"
            "Questions, or if this was not you: 0800-009-868. Your records of use are at the counter kiosk."
        )
        self.flow.outbox.send_email(address, "MyData 資料取用通知 / Your data was accessed", body)

    def records(self, national_id: str) -> UsageRecords:
        """The citizen's records of use of the last 12 months, newest first: names of agencies, services,
        datasets and fields as the catalogue gives them, the transaction id — no values."""
        now = self.flow.clock.now()
        since = now - RECORDS_KEPT_S
        catalogue = self.flow.catalogue.catalogue
        rows = self.flow.store.db.query(
            "SELECT * FROM releases WHERE national_id = ? AND accessed_at >= ? ORDER BY accessed_at DESC LIMIT 200",
            [national_id, since],
        )
        records = []
        for row in rows:
            agency, service = catalogue.agency(row["agency_id"]), self.flow.catalogue.service(row["service_id"])
            datasets = []
            for item in json.loads(row["datasets"]):
                dataset = catalogue.dataset(item["id"])
                names = {f.key: f.name for f in dataset.fields} if dataset else {}
                datasets.append(UsageDataset(
                    id=item["id"], name=dataset.name if dataset else _text(item["id"]),
                    fields=[names.get(key) or _text(key) for key in item["fields"]],
                ))  # fmt: skip
            records.append(UsageRecord(
                transaction_id=row["transaction_id"], accessed_at=timestamp(row["accessed_at"]),
                agency=agency.name if agency else _text(row["agency_id"]),
                service=service.name if service else _text(row["service_id"]), datasets=datasets,
            ))  # fmt: skip
        return UsageRecords(since=timestamp(since), records=records)
