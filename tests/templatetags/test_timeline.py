"""The timeline's day cells, built in Python: escaped, and as readable as the template drew them."""

from agents.services.coverage import TimelineBar, TimelineDay
from agents.templatetags.timeline import timeline_day_cells

OFF = TimelineDay(today=False, name="Monday", bars=())


def test_a_day_without_bars_says_off_and_today_carries_the_now_line():
    html = timeline_day_cells((OFF, TimelineDay(today=True, name="Tuesday", bars=())), 540)
    assert html.count("<td ") == 2
    assert '<span class="visually-hidden">Monday: off</span>' in html
    assert '<td class="tl-day-cell tl-today">' in html
    assert '<span class="tl-now" style="left: 37.500%;" aria-hidden="true"></span>' in html
    assert html.count("tl-now") == 1


def test_each_bar_has_its_text_for_screen_readers_and_continued_bars_are_marked():
    tail = TimelineBar(continued=True, start_minute=0, end_minute=360, label="Monday 00:00–06:00")
    html = timeline_day_cells((TimelineDay(today=False, name="Monday", bars=(tail,)),), 0)
    assert (
        '<span class="tl-bar tl-continued" style="left: 0.000%; width: 25.000%;" '
        'title="Monday 00:00–06:00"><span class="visually-hidden">Monday 00:00–06:00</span></span>'
    ) in html
    assert "off" not in html


def test_every_text_is_escaped():
    label = '<script>alert("x")</script>'
    bar = TimelineBar(continued=False, start_minute=60, end_minute=120, label=label)
    html = timeline_day_cells((TimelineDay(today=True, name="<i>", bars=(bar,)), OFF), 0)
    assert "<script>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
