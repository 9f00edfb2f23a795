"""`wallet.debit_up_to`: a clawback takes what the wallet holds, at most the amount asked, records
the shortfall, writes nothing for an empty wallet and applies once per source."""

from services import wallet
from tests.factories import quick_user
from tests.services.wallet.helpers import assert_ledger_adds_up


def test_takes_what_is_there_records_the_shortfall_and_applies_once(db):
    user = quick_user()
    assert wallet.debit_up_to(user.id, 500, "USD", source_type="cashback_reversal", source_ref="rfd_a") is None
    wallet.credit(user.id, 300, "USD", source_type="cashback", source_ref="ord_a")
    line = wallet.debit_up_to(user.id, 500, "USD", source_type="cashback_reversal", source_ref="rfd_b",
                              metadata={"orderId": "ord_a"})
    assert (line.type, line.amount, line.balance_after) == ("spending", -300, 0)
    assert line.metadata == {"orderId": "ord_a", "requested": 500, "shortfall": 200}
    wallet.credit(user.id, 900, "USD", source_type="project", source_ref="sub_a")
    again = wallet.debit_up_to(user.id, 500, "USD", source_type="cashback_reversal", source_ref="rfd_b")
    assert again.id == line.id and wallet.balance(user.id, "USD")["available"] == 900
    whole = wallet.debit_up_to(user.id, 400, "USD", source_type="cashback_reversal", source_ref="rfd_c")
    assert whole.amount == -400 and whole.metadata["shortfall"] == 0
    assert wallet.find_line("cashback_reversal", "rfd_c", "spending").id == whole.id
    assert_ledger_adds_up()
