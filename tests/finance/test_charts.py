"""The server-drawn SVG bar charts."""

import xml.etree.ElementTree as ET

import pytest

from finance.charts import PLOT_HEIGHT, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def _draw(bars, **overrides):
    options = {
        "chart_id": "c",
        "title": "Gifts per day",
        "description": "Three days.",
        "y_label": "Gifts",
        "x_label": "Day",
        **overrides,
    }
    return ET.fromstring(str(bar_chart(bars=bars, **options)))


def _heights(svg) -> list[float]:
    return [float(rect.get("height")) for rect in svg.iter(f"{SVG}rect")]


def _texts(svg) -> list[str]:
    return [text.text for text in svg.iter(f"{SVG}text")]


def test_bar_heights_are_proportional_to_the_values_and_the_largest_fills_the_plot():
    svg = _draw([Bar("d1", 1, "1"), Bar("d2", 4, "4"), Bar("d3", 2, "2")])

    assert _heights(svg) == pytest.approx([PLOT_HEIGHT / 4, PLOT_HEIGHT, PLOT_HEIGHT / 2], abs=0.01)


def test_bars_stand_on_the_baseline_left_to_right():
    svg = _draw([Bar("d1", 1, "1"), Bar("d2", 3, "3")])
    rects = list(svg.iter(f"{SVG}rect"))

    bottoms = {round(float(r.get("y")) + float(r.get("height")), 2) for r in rects}
    assert len(bottoms) == 1
    assert float(rects[0].get("x")) < float(rects[1].get("x"))


def test_a_day_without_gifts_is_a_bar_of_height_zero_and_keeps_its_place():
    svg = _draw([Bar("d1", 2, "2"), Bar("d2", 0, "0"), Bar("d3", 2, "2")])

    assert _heights(svg) == pytest.approx([PLOT_HEIGHT, 0, PLOT_HEIGHT], abs=0.01)
    assert [rect.find(f"{SVG}title").text for rect in svg.iter(f"{SVG}rect")] == ["d1: 2", "d2: 0", "d3: 2"]


def test_a_single_day_is_one_full_height_bar_labelled_once():
    svg = _draw([Bar("2026-03-01", 5, "50.00")])

    assert _heights(svg) == pytest.approx([PLOT_HEIGHT], abs=0.01)
    assert _texts(svg).count("2026-03-01") == 1
    assert "50.00" in _texts(svg)


def test_an_all_zero_period_draws_flat_bars_and_no_maximum_label():
    svg = _draw([Bar(f"d{n}", 0, "0") for n in range(7)])

    assert _heights(svg) == [0] * 7
    assert _texts(svg).count("0") == 1  # the axis' zero only


def test_the_svg_scales_to_its_container_and_names_itself_for_screen_readers():
    svg = _draw([Bar("d1", 1, "1")], chart_id="gifts", title="Gifts per day", description="One gift.")

    assert svg.get("width") == "100%" and svg.get("viewBox")
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "gifts-title gifts-desc"
    assert svg.find(f"{SVG}title").text == "Gifts per day"
    assert svg.find(f"{SVG}desc").text == "One gift."


def test_axes_are_labelled_with_the_first_and_last_day_zero_and_the_largest_value():
    svg = _draw([Bar("2026-01-01", 3, "30.00"), Bar("2026-01-02", 1, "10.00")], y_label="USD", x_label="Day")

    assert {"2026-01-01", "2026-01-02", "0", "30.00", "USD", "Day"} <= set(_texts(svg))


def test_labels_titles_and_ids_are_escaped():
    nasty = '<script>alert("x")</script> & "quotes"'
    markup = str(
        bar_chart(
            chart_id='c" onload="x',
            title=nasty,
            description=nasty,
            bars=[Bar(nasty, 1, nasty)],
            y_label=nasty,
            x_label=nasty,
        )
    )

    assert "<script>" not in markup and 'onload="x"' not in markup
    svg = ET.fromstring(markup)  # still well-formed
    assert svg.find(f"{SVG}title").text == nasty
    assert nasty in _texts(svg)


def test_an_empty_chart_still_draws_its_axes():
    svg = _draw([])

    assert _heights(svg) == []
    assert svg.find(f"{SVG}path") is not None
