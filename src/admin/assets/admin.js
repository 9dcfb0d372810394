// graphile-worker-ts admin UI: progressive enhancement only (every page works without it).
// - Overview: live counts and the two charts (inline SVG) from /api/stats and /api/timeseries.
// - Jobs: "select all" checkbox for bulk actions.
"use strict";
(function () {
  var base = document.body.getAttribute("data-base") || "";
  var SVG = "http://www.w3.org/2000/svg";
  var STATES = ["ready", "scheduled", "locked", "failed", "permanently-failed"];
  var COLORS = {
    ready: "#1f8a4c",
    scheduled: "#5b6bd6",
    locked: "#c27c0e",
    failed: "#c2410c",
    "permanently-failed": "#a3162f",
    completed: "#2f5fd0",
    added: "#8a94a6",
  };

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) node.setAttribute(key, String(attrs[key]));
    if (parent) parent.appendChild(node);
    return node;
  }

  function getJson(path) {
    return fetch(base + path, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(path + ": " + r.status);
      return r.json();
    });
  }

  // A line chart of `series` ({ name, color, values: [[t, v]...] }) over the last hour, or over the time
  // since the first sample when that is shorter (at least a minute), so a fresh server shows a readable line.
  function lineChart(container, series, now, first) {
    var width = 560,
      height = 200,
      left = 44,
      bottom = 22,
      top = 8,
      right = 8;
    var span = Math.min(3600000, Math.max(60000, now - (first || now)));
    var start = now - span;
    var max = 1;
    series.forEach(function (s) {
      s.values.forEach(function (p) {
        if (p[1] > max) max = p[1];
      });
    });
    var x = function (t) {
      return left + ((t - start) / span) * (width - left - right);
    };
    var y = function (v) {
      return top + (1 - v / max) * (height - top - bottom);
    };
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": container.id });
    for (var i = 0; i <= 4; i += 1) {
      var v = (max * i) / 4;
      el("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), stroke: "#e5e8ee" }, svg);
      var label = el("text", { x: left - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 10, fill: "#6b7385" }, svg);
      label.textContent = v >= 100 ? Math.round(v).toLocaleString("en") : String(Math.round(v * 10) / 10);
    }
    for (var q = 0; q <= 4; q += 1) {
      var ago = span - (span * q) / 4;
      var tx = el(
        "text",
        {
          x: x(start + (span * q) / 4),
          y: height - 6,
          "text-anchor": q === 0 ? "start" : q === 4 ? "end" : "middle",
          "font-size": 10,
          fill: "#6b7385",
        },
        svg,
      );
      tx.textContent =
        q === 4 ? "now" : ago >= 60000 ? "-" + Math.round(ago / 60000) + " min" : "-" + Math.round(ago / 1000) + " s";
    }
    series.forEach(function (s) {
      if (s.values.length === 0) return;
      var d = s.values
        .map(function (p, j) {
          return (j === 0 ? "M" : "L") + x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1);
        })
        .join(" ");
      el("path", { d: d, fill: "none", stroke: s.color, "stroke-width": 2, "data-series": s.name }, svg);
      if (s.values.length === 1) el("circle", { cx: x(s.values[0][0]), cy: y(s.values[0][1]), r: 3, fill: s.color }, svg);
    });
    var legend = document.createElement("div");
    legend.className = "legend";
    series.forEach(function (s) {
      var item = document.createElement("span");
      item.style.color = s.color;
      item.textContent = s.name;
      legend.appendChild(item);
    });
    container.replaceChildren(svg, legend);
  }

  function drawCharts(data) {
    var now = Date.now();
    var samples = data.samples;
    var first = samples.length > 0 ? samples[0].at : now;
    var rate = function (field) {
      return samples
        .filter(function (s) {
          return s[field] !== null;
        })
        .map(function (s) {
          return [s.at, s[field]];
        });
    };
    lineChart(
      document.getElementById("chart-throughput"),
      [
        { name: "completed / min", color: COLORS.completed, values: rate("completedPerMinute") },
        { name: "added / min", color: COLORS.added, values: rate("addedPerMinute") },
      ],
      now,
      first,
    );
    lineChart(
      document.getElementById("chart-depth"),
      STATES.map(function (state) {
        return {
          name: state,
          color: COLORS[state],
          values: samples.map(function (s) {
            return [s.at, s.byState[state]];
          }),
        };
      }),
      now,
      first,
    );
  }

  function formatDuration(ms) {
    if (ms === null) return "—";
    if (ms < 1000) return ms + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
    if (ms < 3600000) return Math.floor(ms / 60000) + " min";
    return (ms / 3600000).toFixed(1) + " h";
  }

  // One request per interval: the samples for the charts and the latest counts (taken by the server's sampler).
  function refreshOverview() {
    getJson("/api/timeseries")
      .then(function (data) {
        drawCharts(data);
        var stats = data.latest;
        STATES.forEach(function (state) {
          var node = document.querySelector('.count[data-state="' + state + '"]');
          if (node) node.textContent = stats.byState[state].toLocaleString("en");
        });
        var oldest = document.getElementById("oldest-ready");
        if (oldest) oldest.textContent = formatDuration(stats.oldestReadyAgeMs);
        var counted = document.getElementById("counted-at");
        if (counted) counted.textContent = "at " + new Date(stats.at).toLocaleTimeString();
      })
      .catch(function () {
        /* keep the last chart and counts */
      });
  }

  var charts = document.getElementById("charts");
  if (charts) {
    var interval = Math.max(1000, Number(charts.getAttribute("data-interval")) || 10000);
    refreshOverview();
    setInterval(function () {
      if (!document.hidden) refreshOverview();
    }, interval);
  }

  var checkAll = document.getElementById("check-all");
  if (checkAll) {
    checkAll.addEventListener("change", function () {
      document.querySelectorAll('input[type="checkbox"][name="ids"]').forEach(function (box) {
        box.checked = checkAll.checked;
      });
    });
  }
})();
