"""Credits: one account balance, charged per started minute of each running session.

Follows docs.liveavatar.com/docs/faq/credits: FULL 2 credits/min, LITE 1; a session cannot start without credits
for one minute, which is escrowed at start (and refunded if the session fails to initialise); without overage a
session ends with NO_CREDITS when the balance cannot pay its next minute. Sandbox sessions are free.
"""

from __future__ import annotations


class CreditLedger:
    def __init__(self, balance: float, *, overage_enabled: bool = False) -> None:
        self.balance = float(balance)
        self.overage_enabled = overage_enabled
        self.total_charged = 0.0

    def can_afford(self, amount: float) -> bool:
        return self.overage_enabled or self.balance + 1e-9 >= amount

    def charge(self, amount: float) -> None:
        self.balance -= amount
        self.total_charged += amount

    def refund(self, amount: float) -> None:
        self.balance += amount
        self.total_charged -= amount
