"""The demo of `make run` seeds earn projects and wallets whose ledgers add up."""

from models.earn import EarnProject
from models.users import User
from services import demo, wallet
from tests.services.wallet.helpers import assert_ledger_adds_up


def test_the_demo_seeds_projects_and_wallets_with_history(db):
    demo.seed_demo_if_empty()
    assert EarnProject.select().count() == 3
    julien = User.get(User.email == "julien.moreau@example.com")
    view = wallet.balance(julien.id, "USD")
    # welcome 20.00 + review 2.00; 10.00 held in a pending withdrawal (the rejected 15.00 came back)
    assert (view["balance"], view["available"], view["held"], view["totalEarned"]) == (2200, 1200, 1000, 2200)
    assert wallet.transactions(julien.id)[1] == 5
    assert wallet.earn_stats(julien.id)["pending"] == 1
    layla = User.get(User.email == "layla.haddad@example.com")
    assert wallet.balance(layla.id, "USD")["available"] == 2200
    assert_ledger_adds_up()
