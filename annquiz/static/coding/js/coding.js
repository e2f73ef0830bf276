/* Shared pieces of the coding-task pages: the training-curve plots, drawn as SVG from the
 * history of the seed a verdict names as representative, with the best epoch the verdict
 * carries (training/judging/figures.py). Everything else on these pages (the verdict, the
 * architecture diagram, the status panel) is rendered by the server's templates; the
 * scripts fetch it.
 *
 * Exposed as window.annquizCoding; loaded before editor.js, submission.js and compare.js.
 */
(function () {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const METRIC_KEYS = ["accuracy", "balanced_accuracy", "mse", "mae"];
  const METRIC_TITLES = {
    loss: "Loss",
    accuracy: "Accuracy",
    balanced_accuracy: "Balanced accuracy",
    mse: "Mean squared error",
    mae: "Mean absolute error",
  };

  // ------------------------------------------------------------------------ formatting

  /**
   * A plot's own label (an axis tick, a curve's first and last value) with at most 4
   * significant digits ("0.7857", "289", "1e-7"): the rule of the server's `figure` filter,
   * which renders every other figure of these pages. Only the plots, which exist only in the
   * browser, format numbers here.
   */
  function plotFigure(value) {
    if (value === null || value === undefined || value === "") {
      return "—";
    }
    const number = Number(value);
    if (!Number.isFinite(number)) {
      return String(value);
    }
    if (Number.isInteger(number)) {
      return number.toLocaleString("en");
    }
    if (Math.abs(number) >= 1000) {
      return Math.round(number).toLocaleString("en");
    }
    return String(parseFloat(number.toPrecision(4)));
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  // ------------------------------------------------------------------------ plots

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, String(value));
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  /** About `count` round tick values covering [low, high]. */
  function niceTicks(low, high, count) {
    if (!(high > low)) {
      const pad = Math.abs(low) * 0.1 || 1;
      low -= pad;
      high += pad;
    }
    const raw = (high - low) / Math.max(1, count);
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) || raw;
    const ticks = [];
    for (let t = Math.floor(low / step) * step; t <= high + step * 0.5; t += step) {
      ticks.push(Number(t.toPrecision(12)));
    }
    return ticks;
  }

  /** The metric worth a second plot: the first of accuracy, balanced accuracy, mse, mae. */
  function metricKey(history) {
    return METRIC_KEYS.find((key) => Array.isArray(history[key]) || Array.isArray(history["val_" + key])) || null;
  }

  /** The seed whose curves stand for the submission, with the figures the verdict gives it. */
  function representativeSeed(result) {
    if (!result || !Array.isArray(result.seeds) || !result.seeds.length) {
      return null;
    }
    const seed = result.seeds[result.representative];
    return {
      seed: seed.seed,
      history: seed.history || {},
      bestEpoch: seed.best_epoch,
      onset: seed.overfitting_onset || null,
      diverged: Boolean(seed.diverged),
    };
  }

  function pathFor(values, x, y) {
    let d = "";
    let open = false;
    values.forEach((value, index) => {
      if (!Number.isFinite(value) || !Number.isFinite(y(value))) {
        open = false;
        return;
      }
      d += (open ? "L" : "M") + x(index + 1).toFixed(1) + " " + y(value).toFixed(1);
      open = true;
    });
    return d;
  }

  function describeSeries(name, values) {
    const finite = values.filter(Number.isFinite);
    if (!finite.length) {
      return name + ": no finite values";
    }
    return (
      name + " from " + plotFigure(finite[0]) + " to " + plotFigure(finite[finite.length - 1])
    );
  }

  /** The finite values of `key` and its val_ twin in `history`. */
  function finiteValues(history, key) {
    return [history[key], history["val_" + key]]
      .filter(Array.isArray)
      .flat()
      .filter(Number.isFinite);
  }

  /**
   * One scale for plots meant to be read side by side: for each plotted key (the loss and the
   * metric each result plots), the lowest and highest value over all `results`, and the most
   * epochs any of them ran. Pass it to drawResultPlots as options.shared.
   */
  function sharedScale(results) {
    const seeds = results.map(representativeSeed).filter(Boolean);
    const ranges = {};
    let epochs = 0;
    for (const seed of seeds) {
      for (const key of ["loss", metricKey(seed.history)]) {
        const values = key ? finiteValues(seed.history, key) : [];
        if (!values.length) {
          continue;
        }
        const range = ranges[key] || [Infinity, -Infinity];
        ranges[key] = [Math.min(range[0], ...values), Math.max(range[1], ...values)];
      }
      for (const values of Object.values(seed.history)) {
        if (Array.isArray(values)) {
          epochs = Math.max(epochs, values.length);
        }
      }
    }
    return { ranges: ranges, epochs: epochs };
  }

  /**
   * Draw one plot of `key` (loss, accuracy, mse, …) and its val_ twin into `container`.
   * options: {history, key, bestEpoch, onset, compact, range: [low, high], epochs}; `range`
   * and `epochs` widen the axes to a scale shared with other plots.
   */
  function drawPlot(container, options) {
    const history = options.history || {};
    const key = options.key;
    const title = METRIC_TITLES[key] || key;
    const series = [];
    if (Array.isArray(history[key])) {
      series.push({ name: "training " + title.toLowerCase(), values: history[key], cls: "series-train" });
    }
    if (Array.isArray(history["val_" + key])) {
      series.push({
        name: "validation " + title.toLowerCase(),
        values: history["val_" + key],
        cls: "series-val",
      });
    }
    container.textContent = "";
    const finite = series.flatMap((s) => s.values).filter(Number.isFinite);
    if (!series.length) {
      container.appendChild(el("p", "plot-empty", "No " + title.toLowerCase() + " was recorded."));
      return null;
    }
    if (!finite.length) {
      container.appendChild(
        el("p", "plot-empty", "Every recorded " + title.toLowerCase() + " is NaN or infinite: the training diverged.")
      );
      return null;
    }
    const epochs = Math.max(options.epochs || 0, ...series.map((s) => s.values.length));
    const width = Math.max(260, Math.round(container.clientWidth || 600));
    const compact = Boolean(options.compact);
    const height = Math.round(Math.min(compact ? 220 : 320, Math.max(compact ? 150 : 200, width * 0.55)));
    const margin = { top: 30, right: 14, bottom: 38, left: 56 };
    const innerW = width - margin.left - margin.right;
    const epochX = (epoch) => (epochs <= 1 ? innerW / 2 : ((epoch - 1) / (epochs - 1)) * innerW);
    const markers = [];
    if (options.bestEpoch && options.bestEpoch <= epochs) {
      markers.push({ epoch: options.bestEpoch, label: "best epoch " + options.bestEpoch, cls: "marker-best" });
    }
    if (options.onset && options.onset <= epochs) {
      markers.push({ epoch: options.onset, label: "overfitting from " + options.onset, cls: "marker-onset" });
    }
    // Marker labels sit above the plot, never over a curve: two labels that would collide
    // take two rows, and the plot area moves down to make room for the second.
    const LABEL_ROW = 15;
    const stacked =
      markers.length > 1 && Math.abs(epochX(markers[0].epoch) - epochX(markers[1].epoch)) < 150;
    if (stacked) {
      margin.top += LABEL_ROW;
    }
    const innerH = height - margin.top - margin.bottom;

    const range = options.range || [];
    let low = Math.min(...finite, ...range.filter(Number.isFinite));
    let high = Math.max(...finite, ...range.filter(Number.isFinite));
    const logScale = low > 0 && high / low > 1000;
    let y;
    let yTicks;
    if (logScale) {
      const lo = Math.floor(Math.log10(low));
      const hi = Math.ceil(Math.log10(high));
      y = (v) => margin.top + innerH - ((Math.log10(v) - lo) / Math.max(1, hi - lo)) * innerH;
      yTicks = [];
      const every = Math.max(1, Math.ceil((hi - lo) / 5));
      for (let p = lo; p <= hi; p += every) {
        yTicks.push(Math.pow(10, p));
      }
    } else {
      yTicks = niceTicks(low, high, compact ? 4 : 5);
      low = Math.min(low, yTicks[0]);
      high = Math.max(high, yTicks[yTicks.length - 1]);
      const span = high - low || 1;
      y = (v) => margin.top + innerH - ((v - low) / span) * innerH;
    }
    const x = (epoch) => margin.left + epochX(epoch);

    const root = svg("svg", {
      viewBox: "0 0 " + width + " " + height,
      width: width,
      height: height,
      role: "img",
      class: "plot-svg plot-" + key,
    });
    const summary =
      title +
      " per epoch over " +
      epochs +
      " epoch" +
      (epochs === 1 ? "" : "s") +
      ": " +
      series.map((s) => describeSeries(s.name, s.values)).join("; ") +
      (options.bestEpoch ? "; best epoch " + options.bestEpoch : "") +
      (options.onset ? "; overfitting from epoch " + options.onset : "") +
      (logScale ? " (log scale)" : "") +
      ".";
    root.setAttribute("aria-label", summary);
    root.appendChild(svg("title", {}, summary));

    const grid = svg("g", { class: "grid" });
    const axis = svg("g", { class: "axis" });
    for (const tick of yTicks) {
      const ty = y(tick);
      if (!Number.isFinite(ty) || ty < margin.top - 1 || ty > margin.top + innerH + 1) {
        continue;
      }
      grid.appendChild(svg("line", { x1: margin.left, x2: margin.left + innerW, y1: ty, y2: ty }));
      axis.appendChild(
        svg("text", { x: margin.left - 6, y: ty + 4, "text-anchor": "end" }, logScale ? tick.toExponential(0) : plotFigure(tick))
      );
    }
    const xTicks = niceTicks(1, epochs, compact ? 4 : 6).filter(
      (t) => t >= 1 && t <= epochs && Number.isInteger(t)
    );
    if (!xTicks.includes(1)) {
      xTicks.unshift(1);
    }
    for (const tick of xTicks) {
      const tx = x(tick);
      axis.appendChild(svg("line", { x1: tx, x2: tx, y1: margin.top + innerH, y2: margin.top + innerH + 5 }));
      axis.appendChild(svg("text", { x: tx, y: margin.top + innerH + 18, "text-anchor": "middle" }, String(tick)));
    }
    axis.appendChild(
      svg("path", {
        d: "M" + margin.left + " " + margin.top + "V" + (margin.top + innerH) + "H" + (margin.left + innerW),
        fill: "none",
      })
    );
    axis.appendChild(
      svg("text", { x: margin.left + innerW / 2, y: height - 4, "text-anchor": "middle" }, "epoch")
    );
    root.appendChild(grid);
    root.appendChild(axis);

    for (const s of series) {
      const d = pathFor(s.values, x, y);
      if (d) {
        const path = svg("path", { d: d, class: "series " + s.cls });
        path.appendChild(svg("title", {}, s.name));
        root.appendChild(path);
      }
    }

    markers.forEach((marker, index) => {
      const mx = x(marker.epoch);
      const group = svg("g", { class: "marker " + marker.cls });
      // The first of two stacked labels takes the upper row.
      const ly = stacked && index === 0 ? margin.top - 8 - LABEL_ROW : margin.top - 8;
      group.appendChild(svg("line", { x1: mx, x2: mx, y1: ly + 4, y2: margin.top + innerH }));
      const rightHalf = mx > margin.left + innerW * 0.55;
      const label = svg(
        "text",
        { x: rightHalf ? mx - 4 : mx + 4, y: ly, "text-anchor": rightHalf ? "end" : "start" },
        marker.label
      );
      const approx = marker.label.length * 6.6;
      group.appendChild(
        svg("rect", {
          class: "marker-label-bg",
          x: rightHalf ? mx - 6 - approx : mx + 2,
          y: ly - 11,
          width: approx + 4,
          height: 14,
          rx: 2,
        })
      );
      group.appendChild(label);
      root.appendChild(group);
    });

    container.appendChild(root);

    const legend = el("ul", "plot-legend");
    for (const s of series) {
      legend.appendChild(el("li", s.cls === "series-train" ? "legend-train" : "legend-val", s.name));
    }
    for (const marker of markers) {
      legend.appendChild(
        el("li", marker.cls === "marker-best" ? "legend-best" : "legend-onset", marker.cls === "marker-best" ? "best epoch" : "overfitting onset")
      );
    }
    if (logScale) {
      legend.appendChild(el("li", "legend-log", "log scale"));
    }
    container.appendChild(legend);
    return root;
  }

  /**
   * Draw every [data-plot] inside `scope` from `result` (a Judgement as a dict): "loss" and
   * "metric" (the first metric the history has; its figure is hidden when there is none).
   * Plots are redrawn to their new width when the window is resized. options: {compact,
   * shared} with `shared` from sharedScale(), for plots compared side by side.
   */
  function drawResultPlots(scope, result, options) {
    const seed = representativeSeed(result);
    const areas = scope.querySelectorAll("[data-plot]");
    const draw = () => {
      areas.forEach((area) => {
        if (!seed) {
          area.textContent = "";
          area.appendChild(el("p", "plot-empty", "No training curves were recorded."));
          return;
        }
        const which = area.getAttribute("data-plot");
        const key = which === "metric" ? metricKey(seed.history) : "loss";
        const figure = area.closest("figure");
        if (!key) {
          if (figure) {
            figure.hidden = true;
          }
          return;
        }
        if (figure) {
          const caption = figure.querySelector("figcaption");
          if (caption && which === "metric") {
            caption.textContent = METRIC_TITLES[key] || key;
          }
        }
        const shared = options && options.shared;
        drawPlot(area, {
          history: seed.history,
          key: key,
          bestEpoch: seed.bestEpoch,
          onset: seed.onset,
          compact: Boolean(options && options.compact),
          range: shared ? shared.ranges[key] : null,
          epochs: shared ? shared.epochs : 0,
        });
      });
    };
    draw();
    let timer = null;
    let lastWidth = window.innerWidth;
    window.addEventListener("resize", () => {
      if (window.innerWidth === lastWidth) {
        return;
      }
      lastWidth = window.innerWidth;
      clearTimeout(timer);
      timer = setTimeout(draw, 150);
    });
  }

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  window.annquizCoding = {
    drawResultPlots,
    sharedScale,
    readJson,
    el,
  };
})();
