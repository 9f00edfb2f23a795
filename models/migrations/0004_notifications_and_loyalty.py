"""Notifications, notification preferences, the console outbox, and the loyalty ledger."""

from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from models.notifications import Notification, NotificationPreference, OutboxMessage


def migrate(database, migrator):
    database.create_tables([Notification, NotificationPreference, OutboxMessage,
                            LoyaltyAccount, LoyaltyTransaction], safe=True)
