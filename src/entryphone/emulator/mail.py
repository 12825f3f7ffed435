"""E-mail through the SMTP server configured on the panel (email/send)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from .config import SmtpConfig


class MailError(Exception):
    pass


def build(sender: str, to: str, subject: str, body: str, pictures: list[bytes]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    # The manual allows HTML marks in the body.
    message.set_content(body, subtype="html")
    for number, jpeg in enumerate(pictures, start=1):
        message.add_attachment(jpeg, maintype="image", subtype="jpeg", filename=f"snapshot{number}.jpg")
    return message


async def send(smtp: SmtpConfig, message: EmailMessage, limit: float) -> None:
    def deliver() -> None:
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=limit) as client:
                if smtp.starttls:
                    client.starttls()
                if smtp.username:
                    client.login(smtp.username, smtp.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(str(error)) from error

    await asyncio.to_thread(deliver)
