"""Every write of the receipts app, one module a concern:

- receipts: receipt numbering, issuing, voiding and correcting (what
  donations calls when a gift succeeds or is refunded);
- statements: year-end statements;
- impact_updates: sending an impact update to its audience;
- suppression: the provider's tracking events and the addresses they
  suppress, and unsubscribing.

Sending any of these emails, exactly once, is receipts.outbox; each module
above registers its kinds of email with it.
"""
