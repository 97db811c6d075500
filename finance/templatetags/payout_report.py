from django import template

from finance.selectors.payouts import LineKind, line_kind

register = template.Library()


@register.filter
def kind_label(line) -> str:
    """A payout line's kind as the report's sums name it: Gifts, Refunds..."""
    return LineKind.LABELS[line_kind(line.type, line.source_id)]
