"""Payment providers. Hopefund has one, Stripe (`payments.stripe`)."""
