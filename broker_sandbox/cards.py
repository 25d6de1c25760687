"""The sandbox's citizens as cards for the simulated reader (``hardware.cards.simulated.CardSource``): the NHI
card's data and the MOICA card's certificate and key from the sandbox CA, so the broker verifies them as
it verifies a real card's chain. The demo and tests wire it in; the reader itself never imports the sandbox.

``bank_card_credentials`` is the chip bank card (晶片金融卡) the same way: its certificate from the sandbox card
issuer and a signer over the broker's challenge, for the simulated reader and the virtual card on vpcd."""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding

from broker_sandbox.ca import bank_card_credentials, citizen_credentials, sign_challenge
from broker_sandbox.citizens import find_citizen, generate_citizens
from counter_core.personal import Personal
from hardware.cards.interface import NhiCard
from hardware.cards.simulated import BankCardCredentials, MoicaCredentials

__all__ = ["BankCardCredentials", "SandboxCards"]


class SandboxCards:
    def __init__(self, seed: int, citizens: int) -> None:
        self.seed = seed
        self.citizens = citizens

    def nhi_card(self, national_id: str) -> NhiCard | None:
        citizen = find_citizen(self.seed, self.citizens, national_id)
        if citizen is None:
            return None
        return NhiCard(
            Personal(citizen.nhi_card_number, "NHI card number"),
            Personal(citizen.name, "name"),
            Personal(citizen.national_id, "national ID"),
            Personal(citizen.birth_date, "birth date"),
            citizen.sex,
            None,
        )

    def moica_credentials(self, national_id: str) -> MoicaCredentials | None:
        # The sandbox CA certifies any ID, as a forged or foreign card would be: the broker decides.
        key, certificate = citizen_credentials(self.seed, national_id)
        return MoicaCredentials(
            certificate.public_bytes(Encoding.DER), lambda challenge: sign_challenge(key, challenge)
        )

    def bank_card_credentials(self, national_id: str) -> BankCardCredentials | None:
        citizen = find_citizen(self.seed, self.citizens, national_id)
        if citizen is None:
            return None
        key, certificate = bank_card_credentials(self.seed, citizen.bank_card_account)
        return BankCardCredentials(
            certificate.public_bytes(Encoding.DER), lambda challenge: sign_challenge(key, challenge)
        )

    def sample_national_id(self) -> str:
        return generate_citizens(self.seed, self.citizens)[0].national_id
