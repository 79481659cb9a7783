/* The console's charts: ECharts, served by the app itself from /static/vendor. */
"use strict";

function csqmTrends(node) {
  if (!node || typeof echarts === "undefined") { return; }
  const data = JSON.parse(node.textContent);
  Object.keys(data).forEach(function (metric) {
    const el = document.getElementById("trend-" + metric);
    if (!el) { return; }
    const s = data[metric];
    const chart = echarts.init(el, null, { renderer: "svg" });
    const series = [{ type: "line", data: s.y, showSymbol: false, smooth: true, lineStyle: { width: 2 } }];
    if (s.target !== null && s.target !== undefined) {
      series[0].markLine = { silent: true, symbol: "none", data: [{ yAxis: s.target }], lineStyle: { type: "dashed", color: "#718096" }, label: { show: false } };
    }
    chart.setOption({
      animation: false,
      grid: { left: 2, right: 2, top: 4, bottom: 2 },
      xAxis: { type: "category", data: s.x, show: false },
      yAxis: { type: "value", show: false, scale: true },
      tooltip: { trigger: "axis" },
      series: series,
    });
  });
}

function csqmChart(node, el) {
  if (!node || !el || typeof echarts === "undefined") { return; }
  const spec = JSON.parse(node.textContent);
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { type: "scroll" },
    grid: { left: 50, right: 20, top: 40, bottom: 40 },
    xAxis: { type: "category", data: spec.x },
    yAxis: (spec.units.length ? spec.units : [""]).map(function (u) { return { type: "value", scale: true, name: u }; }),
    series: spec.series.map(function (s) {
      return { name: s.name, type: spec.kind, data: s.data, showSymbol: false, yAxisIndex: s.axis };
    }),
  });
  window.addEventListener("resize", function () { chart.resize(); });
}
