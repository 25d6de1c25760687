"""Typed broker errors, each with a zh-TW and en message (``messages/*/broker.json``).

The broker answers errors as ``ErrorBody`` (``error`` = message key); the client raises the class
registered for that key, so the UI never parses exception text.
"""

from __future__ import annotations

from counter_core.errors import CounterError


class BrokerError(CounterError):
    """``broker_text``: the broker's own message in each language, as it sent it (the client keeps it; the
    messages a client shows come from its own catalogue, except where only the broker can fill them)."""

    key = "broker.error"
    broker_text: dict[str, str] | None = None


class BrokerUnavailable(BrokerError):
    """Not reached, or no answer: ``cause`` (``counter_core.netcause``) says why when it is known."""

    key = "broker.unavailable"


class BrokerOutcomeUnknown(BrokerUnavailable):
    """The request was sent but its answer was lost (timeout, connection cut): it may or may not have taken
    effect. Never sent again blindly; asked again only where the broker answers a repeat the same way."""

    key = "broker.outcome_unknown"


class BrokerTlsFailed(BrokerUnavailable):
    """The TLS handshake with the broker failed (not a certificate question: protocol, cipher, reset)."""

    key = "broker.tls.failed"


class CertificateUntrusted(BrokerTlsFailed):
    """The broker's certificate does not chain to a CA this terminal trusts ([broker] ca_bundle or the system
    store)."""

    key = "broker.tls.untrusted"


class CertificateWrongName(BrokerTlsFailed):
    key = "broker.tls.wrong_name"


class CertificateExpired(BrokerTlsFailed):
    key = "broker.tls.expired"


class CertificateNotYetValid(BrokerTlsFailed):
    key = "broker.tls.not_yet_valid"


class CodeExpired(BrokerError):
    key = "broker.code.expired"


class CodeAlreadyUsed(BrokerError):
    key = "broker.code.used"


class CodeForeignAgency(BrokerError):
    key = "broker.code.foreign_agency"


class CodeUnknown(BrokerError):
    key = "broker.code.unknown"


class CodeMalformed(BrokerError):
    key = "broker.code.malformed"


class RateLimited(BrokerError):
    key = "broker.rate_limited"

    @property
    def retry_after_s(self) -> int:
        value = self.params.get("retry_after_s", 60)
        return int(value) if isinstance(value, int | float | str) else 60


class LockedOut(RateLimited):
    key = "broker.locked_out"


class AuthFailed(BrokerError):
    key = "broker.auth_failed"


class ClerkLoginFailed(BrokerError):
    key = "broker.clerk.login_failed"


class ClerkSessionExpired(BrokerError):
    key = "broker.clerk.session_expired"


class ValidationFailed(BrokerError):
    key = "broker.validation"


class SessionExpired(BrokerError):
    key = "broker.session.expired"


class ConsentRequired(BrokerError):
    key = "broker.consent.required"


class IdentityFailed(BrokerError):
    key = "broker.identity.failed"


class IdentityMismatch(BrokerError):
    key = "broker.identity.mismatch"


class SameMethodTwice(BrokerError):
    key = "broker.identity.same_method"


class IdentityRequired(BrokerError):
    key = "broker.identity.required"


class OtpWrong(BrokerError):
    key = "broker.otp.wrong"


class PushDenied(BrokerError):
    key = "broker.push.denied"


class PushExpired(BrokerError):
    key = "broker.push.expired"


class UnknownCitizen(BrokerError):
    key = "broker.citizen.unknown"


class NotFound(BrokerError):
    key = "broker.not_found"


class ConsentMismatch(BrokerError):
    key = "broker.consent.mismatch"


class ChallengeRequired(BrokerError):
    key = "broker.identity.no_challenge"


class IdentityNotAllowed(BrokerError):
    """The method may not release a dataset of the service (依驗證強度). Params: ``dataset_id`` and
    ``allowed_methods`` (the service's methods), and ``dataset`` / ``methods`` as language → text maps."""

    key = "broker.identity.not_allowed"

    def message(self, language: str) -> str:
        """The broker's text: it names the dataset in each language, which the client's catalogue cannot."""
        sent = self.broker_text or {}
        return sent.get(language) or sent.get("zh-TW") or super().message(language)

    def bilingual(self) -> str:
        return f"{self.message('zh-TW')} / {self.message('en')}"


class IdentityDetailsWrong(IdentityFailed):
    """Typed details (household number, birthday …) did not match; ``tries_left`` before the lock."""

    key = "broker.identity.wrong"


class SameCredential(SameMethodTwice):
    """The second method rests on the same credential as the first (card and app of one certificate)."""

    key = "broker.identity.same_credential"


class IdentityRateLimited(RateLimited):
    """Too many failed identity checks at this kiosk terminal: guessing, whoever it is for."""

    key = "broker.identity.rate_limited"


class PromptsLimited(RateLimited):
    """Too many pushes / SMS for one citizen: nobody's phone is flooded from a kiosk."""

    key = "broker.identity.prompts_limited"


class IdentityLocked(LockedOut):
    """This method is locked for this citizen after too many failures; other methods still work."""

    key = "broker.identity.locked"


class NhiPasswordWrong(IdentityFailed):
    key = "broker.nhi_card.password_wrong"


class NhiPasswordLocked(IdentityLocked):
    key = "broker.nhi_card.locked"


class NhiCardNotRegistered(IdentityFailed):
    key = "broker.nhi_card.not_registered"


class OtpNotEnrolled(IdentityFailed):
    """SMS codes are open only after one check with the citizen certificate (seed 001)."""

    key = "broker.otp.not_enrolled"


# -- the citizen's contact for notices (seed 000: 選擇主要聯絡方式發送驗證密碼驗證) --------------------------------
class ContactPhoneInvalid(ValidationFailed):
    key = "broker.contact.phone_invalid"


class ContactEmailInvalid(ValidationFailed):
    key = "broker.contact.email_invalid"


class ContactNoCode(BrokerError):
    """Verify was asked before a code was sent (or after it was used)."""

    key = "broker.contact.no_code"


class ContactCodeWrong(BrokerError):
    key = "broker.contact.code_wrong"


class ContactCodeExpired(BrokerError):
    key = "broker.contact.code_expired"


class ContactCodeUsedUp(BrokerError):
    """Too many wrong tries for this code: a new one must be asked for."""

    key = "broker.contact.code_used_up"


class ContactCodesLimited(RateLimited):
    """Too many codes asked for one citizen: nobody's phone or mailbox is flooded from a kiosk."""

    key = "broker.contact.codes_limited"


class ContactNotVerified(BrokerError):
    key = "broker.contact.not_verified"


ERRORS_BY_KEY: dict[str, type[BrokerError]] = {
    cls.key: cls
    for cls in (
        BrokerError, BrokerUnavailable, BrokerOutcomeUnknown, CodeExpired, CodeAlreadyUsed, CodeForeignAgency,
        CodeUnknown, CodeMalformed, RateLimited, LockedOut, AuthFailed, ClerkLoginFailed, ClerkSessionExpired,
        ValidationFailed, SessionExpired, ConsentRequired, IdentityFailed, IdentityMismatch, SameMethodTwice,
        IdentityRequired, OtpWrong, PushDenied, PushExpired, UnknownCitizen, NotFound, ConsentMismatch,
        ChallengeRequired, IdentityNotAllowed, IdentityDetailsWrong, SameCredential, IdentityRateLimited,
        PromptsLimited, IdentityLocked, NhiPasswordWrong, NhiPasswordLocked, NhiCardNotRegistered, OtpNotEnrolled,
        ContactPhoneInvalid, ContactEmailInvalid, ContactNoCode, ContactCodeWrong, ContactCodeExpired,
        ContactCodeUsedUp, ContactCodesLimited, ContactNotVerified,
    )
}  # fmt: skip

# HTTP status the broker answers each error with.
STATUS_BY_KEY: dict[str, int] = {
    "broker.error": 500,
    "broker.unavailable": 503,
    "broker.outcome_unknown": 504,
    "broker.code.expired": 410,
    "broker.code.used": 409,
    "broker.code.foreign_agency": 403,
    "broker.code.unknown": 404,
    "broker.code.malformed": 422,
    "broker.rate_limited": 429,
    "broker.locked_out": 429,
    "broker.auth_failed": 401,
    "broker.clerk.login_failed": 401,
    "broker.clerk.session_expired": 401,
    "broker.validation": 422,
    "broker.session.expired": 410,
    "broker.consent.required": 409,
    "broker.identity.failed": 403,
    "broker.identity.mismatch": 403,
    "broker.identity.same_method": 409,
    "broker.identity.required": 409,
    "broker.otp.wrong": 403,
    "broker.push.denied": 403,
    "broker.push.expired": 410,
    "broker.citizen.unknown": 404,
    "broker.not_found": 404,
    "broker.consent.mismatch": 409,
    "broker.identity.no_challenge": 409,
    "broker.identity.not_allowed": 403,
    "broker.identity.wrong": 403,
    "broker.identity.same_credential": 409,
    "broker.identity.rate_limited": 429,
    "broker.identity.prompts_limited": 429,
    "broker.identity.locked": 429,
    "broker.nhi_card.password_wrong": 403,
    "broker.nhi_card.locked": 429,
    "broker.nhi_card.not_registered": 403,
    "broker.otp.not_enrolled": 403,
    "broker.contact.phone_invalid": 422,
    "broker.contact.email_invalid": 422,
    "broker.contact.no_code": 409,
    "broker.contact.code_wrong": 403,
    "broker.contact.code_expired": 410,
    "broker.contact.code_used_up": 403,
    "broker.contact.codes_limited": 429,
    "broker.contact.not_verified": 409,
}
