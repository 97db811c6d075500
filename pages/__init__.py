"""Site composition: the public giving pages, the captains' dashboards,
the donation API and the read models behind them. They combine
campaigns, donations and receipts, so they sit above all three."""
