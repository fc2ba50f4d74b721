"""E-mail messages of a review, and the one SMTP seam (smtplib)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from types import TracebackType

from .render import RenderedEmail


@dataclass(frozen=True)
class SmtpOptions:
    host: str | None
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str | None = None
    password: str | None = None
    sender: str = "Veille de l'Assemblée citoyenne <veille@example.org>"
    timeout: float = 30.0
    max_attempts: int = 5
    retry_minutes: int = 15


class SendError(Exception):
    """A failed send; ``permanent`` ones (a 5xx reply about this message) are not retried."""

    def __init__(self, message: str, *, permanent: bool, connection: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.connection = connection  # the server is unreachable: stop the batch


def new_message_id(sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "veille.local"
    return make_msgid("revue", domain=domain)


def build_message(email: RenderedEmail, *, sender: str, recipient: str, message_id: str,
                  review_url: str | None = None) -> EmailMessage:
    """multipart/alternative: the plain text first, the HTML second (clients show the last they can)."""
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message["Content-Language"] = "fr"
    message["Auto-Submitted"] = "auto-generated"
    if review_url:
        message["List-Archive"] = f"<{review_url}>"
    message.set_content(email.text, subtype="plain", charset="utf-8")
    message.add_alternative(email.html, subtype="html", charset="utf-8")
    return message


def _classify(exc: Exception) -> SendError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return SendError(f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        permanent = exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPAuthenticationError)
        return SendError(f"SMTP {exc.smtp_code}: {text}", permanent=permanent,
                         connection=isinstance(exc, (smtplib.SMTPAuthenticationError, smtplib.SMTPConnectError)))
    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
        return SendError(f"SMTP server unreachable: {exc.__class__.__name__}: {exc}", permanent=False,
                         connection=True)
    return SendError(f"{exc.__class__.__name__}: {exc}", permanent=False, connection=True)


class Mailer:
    """One SMTP connection for a batch, opened on the first message."""

    def __init__(self, options: SmtpOptions) -> None:
        if not options.host:
            raise ValueError("no SMTP host configured (smtp.host)")
        self.options = options
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        o = self.options
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if o.security == "ssl":
            smtp = smtplib.SMTP_SSL(o.host, o.port, timeout=o.timeout, context=context)
        else:
            smtp = smtplib.SMTP(o.host, o.port, timeout=o.timeout)
            if o.security == "starttls":
                smtp.starttls(context=context)
        if o.username:
            smtp.login(o.username, o.password or "")
        return smtp

    def send(self, message: EmailMessage) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except Exception as exc:
            error = _classify(exc)
            if error.connection:
                self.close()
            raise error from exc

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass  # already gone: nothing left to close
            self._smtp = None

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()
