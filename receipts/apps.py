from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "receipts"

    def ready(self):
        # The tracking webhook's receiver, and the modules
        # that register their kinds of email with receipts.outbox, which
        # must all be known before the first send or sweep.
        from donations.services import effects
        from receipts import signals  # noqa: F401
        from receipts.services import (  # noqa: F401
            dedication_cards,
            gift_notices,
            impact_updates,
            receipts,
            statements,
            thank_you_notes,
        )

        # Inside the gift's own transaction, under its row lock: a paid gift
        # is never without its receipt, a refunded one never keeps it whole.
        effects.register(effects.ON_SUCCEEDED, receipts.issue_receipt, receipt=True, bulk=receipts.issue_receipts)
        effects.register(effects.ON_REFUNDED, receipts.reissue_after_refund, receipt=True)
        effects.register(effects.ON_MOVED, receipts.correct_after_move, receipt=True)
        # A refund or lost chargeback after a statement said what it says
        # queues its correction (for gifts recorded without a receipt too:
        # statements list them).
        effects.register(effects.ON_REFUNDED, statements.correct_after_refund)
        # The people of the page a gift is moved to hear that it counts for them.
        effects.register(effects.ON_MOVED, gift_notices.tell_page_people_of_move, notice=True)
        # The page's owner and the team's captains hear of each gift paid on it.
        effects.register(
            effects.ON_SUCCEEDED,
            gift_notices.tell_page_people,
            notice=True,
            bulk=gift_notices.tell_page_people_of_many,
        )
        # The person a donor named hears of a gift in honour or memory of someone.
        effects.register(
            effects.ON_SUCCEEDED, dedication_cards.send_card, notice=True, bulk=dedication_cards.send_cards
        )
