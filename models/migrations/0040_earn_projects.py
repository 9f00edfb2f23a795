"""Earn projects (seed 002 Projects): `earn_project` (CHECK: the budget's reserved and spent parts
never exceed it, the reward is positive) and `earn_submission` (a user's completion of one)."""

from models.earn import EarnProject, EarnSubmission


def migrate(database, migrator):
    database.create_tables([EarnProject, EarnSubmission], safe=True)
