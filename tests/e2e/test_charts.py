"""The dashboard's ECharts charts: title, legend and plot area never overlap, on a phone or a
desktop, in zh and en (issue 10 §4: each chart's title overlapped its legend)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

#: the drawn boxes (x, y, width, height in chart pixels) of a chart's title, legend and grid
BOXES = """(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const boxes = {};
  for (const view of chart._componentsViews) {
    const kind = view.__model && view.__model.mainType;
    if (kind !== "title" && kind !== "legend") continue;
    const rect = view.group.getBoundingRect().clone();
    rect.applyTransform(view.group.getComputedTransform());
    boxes[kind] = [rect.x, rect.y, rect.width, rect.height];
  }
  const grid = chart.getModel().getComponent("grid").coordinateSystem.getRect();
  boxes.grid = [grid.x, grid.y, grid.width, grid.height];
  return boxes;
}"""


def _overlap(a: list[float], b: list[float]) -> bool:
    """Two boxes share area (their vertical extents cross and so do their horizontal ones)."""
    return a[1] < b[1] + b[3] and b[1] < a[1] + a[3] and a[0] < b[0] + b[2] and b[0] < a[0] + a[2]


@pytest.mark.parametrize("width", [390, 1200])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chart_title_legend_and_plot_do_not_overlap(browser: Any, server: str, width: int, lang: str) -> None:
    page = browser.new_context(viewport={"width": width, "height": 844}).new_page()
    page.goto(f"{server}/inventory/region?lang={lang}")
    crossed = []
    for chart in ("chart-ipcc", "chart-gpc"):
        page.wait_for_selector(f"#{chart}[data-ready='1'] canvas")
        boxes = page.evaluate(BOXES, chart)
        assert set(boxes) == {"title", "legend", "grid"}
        for a, b in (("title", "legend"), ("title", "grid"), ("legend", "grid")):
            if _overlap(boxes[a], boxes[b]):
                crossed.append((chart, a, b, boxes[a], boxes[b]))
    page.context.close()
    assert crossed == []
