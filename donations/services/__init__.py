"""Every write to the donation ledger, one module per concern:

- gifts: taking a gift (one-time or the first of a monthly plan) and
  asking Stripe about gifts still in flight;
- gift_status: a gift's status: the payment phase only moves forward, and
  a paid gift's status follows from Stripe's facts (refunds, disputes);
- effects: everything that follows from a status change, in one place:
  the counters, the hooks other apps register (receipts), the fee fetch
  and notices;
- totals: the campaign/team/fundraiser counters, moved by what a gift
  contributes before and after each change;
- donors: one donor per email, changed only by the details of a gift
  that succeeded; organizations likewise, one per name, for gifts given
  as an organisation;
- offline: gifts received outside Stripe, recorded through gift_status;
- refunds, disputes, fees, recurring: those facts and monthly plans;
- stripe_events: the webhook inbox and the handler for each event type.

Lock order, everywhere: StripeEvent -> RecurringPlan -> Donation ->
GivingTotal (campaign, then team, then fundraiser) -> Donor ->
Organization -> ReceiptSequence.
Taking row locks in one fixed order keeps concurrent webhooks and API
calls from deadlocking. No transaction is held open across a call to
Stripe, but for a donor's change to a monthly plan (recurring.change_amount
and recurring.cancel hold the plan's lock until it is saved).
"""
