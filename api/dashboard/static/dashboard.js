/* The forecasters' dashboard: the station charts (uPlot, vendored) drawn from the JSON embedded in the page,
   and the pollutant selector that reloads the page on change. No other script runs on the dashboard. */
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("select[data-autosubmit]"), function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  var holder = document.getElementById("series-data");
  if (!holder || typeof window.uPlot === "undefined") return;
  var uPlot = window.uPlot;
  var data = JSON.parse(holder.textContent);
  var bounds = JSON.parse(document.getElementById("categories-data").textContent);
  var ZONE = data.time_zone || "Asia/Ho_Chi_Minh";
  var FONT = '12px "Noto Sans", "Segoe UI", Arial, sans-serif';
  var TIME_LABEL = "Giờ Việt Nam (UTC+7) / Vietnam time";
  var charts = [];

  function tzDate(ts) { return uPlot.tzDate(new Date(ts * 1e3), ZONE); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // Union of the series' times (Unix s), each series' values at them (null where it has none: a gap).
  function aligned(columns) {
    var seen = {}, xs = [];
    columns.forEach(function (c) {
      c[0].forEach(function (t) { if (!seen.hasOwnProperty(t)) { seen[t] = true; xs.push(t); } });
    });
    xs.sort(function (a, b) { return a - b; });
    var at = {};
    xs.forEach(function (t, i) { at[t] = i; });
    return [xs].concat(columns.map(function (c) {
      var out = xs.map(function () { return null; });
      c[0].forEach(function (t, i) { out[at[t]] = c[1][i]; });
      return out;
    }));
  }

  function timeAxis() {
    return {
      label: TIME_LABEL, font: FONT, labelFont: FONT,
      values: function (u, splits) {
        var last = null;
        return splits.map(function (t) {
          var d = tzDate(t), day = pad(d.getDate()) + "/" + pad(d.getMonth() + 1);
          var text = pad(d.getHours()) + ":" + pad(d.getMinutes());
          if (day !== last) { text += "\n" + day; last = day; }
          return text;
        });
      }
    };
  }

  function issueLine(u) {
    var t = Date.parse(data.issue_time) / 1e3;
    var x = Math.round(u.valToPos(t, "x", true));
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
    var ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = "#555";
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }

  function size(el) { return {width: Math.max(320, el.clientWidth), height: 320}; }

  function concentrationChart(el) {
    var f = data.forecast, o = data.observed, unit = " " + data.unit;
    var fmt = function (u, v) { return v == null ? "—" : v.toFixed(1) + unit; };
    var columns = [[o.t, o.value], [f.t, f.q10 || null], [f.t, f.q90 || null], [f.t, f.mean]];
    var series = [
      {value: "{DD}/{MM} {HH}:{mm} (UTC+7)"},
      {label: "Quan trắc / observed", stroke: "#000", width: 2, value: fmt, points: {show: true, size: 4}},
      {label: "10 %", stroke: "rgba(11,79,156,0.45)", width: 1, value: fmt},
      {label: "90 %", stroke: "rgba(11,79,156,0.45)", width: 1, value: fmt},
      {label: "Dự báo TB / forecast mean", stroke: "#0b4f9c", width: 2, value: fmt}
    ];
    if (f.ctm) {
      columns.push([f.t, f.ctm]);
      series.push({label: "CTM thô / raw CTM", stroke: "#d35400", width: 1.5, dash: [6, 4], value: fmt});
    }
    columns = columns.map(function (c) { return [c[0], c[1] || c[0].map(function () { return null; })]; });
    var opts = Object.assign(size(el), {
      tzDate: tzDate,
      series: series,
      bands: f.q10 && f.q90 ? [{series: [3, 2], fill: "rgba(11,79,156,0.16)"}] : [],
      scales: {x: {time: true}},
      axes: [timeAxis(), {label: data.pollutant + " [" + data.unit + "]", font: FONT, labelFont: FONT, size: 60}],
      cursor: {sync: {key: "vnaqi-station"}},
      hooks: {draw: [issueLine]}
    });
    return new uPlot(opts, aligned(columns), el);
  }

  function aqiChart(el) {
    var a = data.aqi;
    if (!a.t.length) return null;
    var categoryOf = {};
    a.t.forEach(function (t, i) { categoryOf[t] = a.category[i]; });
    var names = {};
    bounds.forEach(function (b) { names[b.index] = b.name_vi + " / " + b.name_en; });
    var opts = Object.assign(size(el), {
      tzDate: tzDate,
      series: [
        {value: "{DD}/{MM} {HH}:{mm} (UTC+7)"},
        {label: "VN_AQI dự báo / forecast", stroke: "#000", width: 2,
         value: function (u, v, si, i) {
           if (v == null) return "—";
           var k = categoryOf[u.data[0][i]];
           return v + (k ? " · " + names[k] : "");
         }}
      ],
      scales: {x: {time: true}, y: {range: function (u, min, max) { return [0, Math.max(110, Math.ceil((max + 10) / 50) * 50)]; }}},
      axes: [timeAxis(), {label: "VN_AQI", font: FONT, labelFont: FONT, size: 60}],
      cursor: {sync: {key: "vnaqi-station"}},
      hooks: {
        drawClear: [function (u) {  // the category bands behind the line, in the official colours
          var ctx = u.ctx, b = u.bbox;
          ctx.save();
          ctx.globalAlpha = 0.3;
          bounds.forEach(function (c) {
            var top = u.valToPos(c.max + 1, "y", true), bottom = u.valToPos(c.min, "y", true);
            top = Math.max(b.top, top);
            bottom = Math.min(b.top + b.height, bottom);
            if (bottom <= top) return;
            ctx.fillStyle = c.hex;
            ctx.fillRect(b.left, top, b.width, bottom - top);
          });
          ctx.restore();
        }],
        draw: [issueLine]
      }
    });
    return new uPlot(opts, [a.t, a.aqi], el);
  }

  var concentration = document.getElementById("chart-concentration");
  var aqi = document.getElementById("chart-aqi");
  if (concentration) charts.push(concentrationChart(concentration));
  if (aqi) { var made = aqiChart(aqi); if (made) charts.push(made); }
  window.vnaqiCharts = charts;

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (u) { u.setSize(size(u.root.parentNode)); });
    }, 150);
  });
})();
