// Graph views (figure.graph-view, drawn at build time by src/site/graph_view): pan and zoom
// (wheel, drag, keys + - 0 and arrows), neighbours highlighted on hover or focus, toggles per
// relation (the legend's entries) and per tag. Clicking a node follows its link. The labels of
// the nodes that wait for zoom are drawn here from their tooltips.
// No library, no inline handler, no request: the page's Content-Security-Policy holds.
(function () {
  "use strict";

  var ZOOM_STEP = 1.25;
  var PAN_STEP = 0.1;
  // From a circle's edge to its label's baseline: the labels' font size (src/site/graph_view).
  var LABEL_GAP = 11;

  function init(figure) {
    var svg = figure.querySelector("svg");
    if (!svg || !svg.viewBox || !svg.viewBox.baseVal) return;
    var nodes = Array.prototype.slice.call(svg.querySelectorAll(".nodes > a"));
    var lines = Array.prototype.slice.call(svg.querySelectorAll(".edges line"));
    // A line's ends are written exactly as its nodes' centres: that is how it names them.
    var at = {};
    nodes.forEach(function (node, i) {
      var circle = node.querySelector("circle");
      if (!circle) return;
      at[circle.getAttribute("cx") + " " + circle.getAttribute("cy")] = i;
      if (!node.querySelector("text")) addLabel(node, circle);
    });
    var ends = lines.map(function (line) {
      return [at[line.getAttribute("x1") + " " + line.getAttribute("y1")],
              at[line.getAttribute("x2") + " " + line.getAttribute("y2")]];
    });
    var neighbours = nodes.map(function () { return []; });
    var incident = nodes.map(function () { return []; });
    lines.forEach(function (line, k) {
      var s = ends[k][0];
      var t = ends[k][1];
      if (s === undefined || t === undefined) return;
      neighbours[s].push(t);
      neighbours[t].push(s);
      incident[s].push(line);
      incident[t].push(line);
    });

    // Pan and zoom move the view box, so labels stay crisp at every scale.
    var box = svg.viewBox.baseVal;
    var base = { x: box.x, y: box.y, w: box.width, h: box.height };
    var view = { x: base.x, y: base.y, w: base.w, h: base.h };
    function apply() {
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
      figure.classList.toggle("zoomed", view.w < base.w / 2.5);
    }
    function zoom(factor, cx, cy) {
      var w = Math.min(Math.max(view.w * factor, base.w / 60), base.w * 2);
      var f = w / view.w;
      view.x = cx - (cx - view.x) * f;
      view.y = cy - (cy - view.y) * f;
      view.w *= f;
      view.h *= f;
      apply();
    }
    function centre() {
      return { x: view.x + view.w / 2, y: view.y + view.h / 2 };
    }
    function toSvg(event) {
      var matrix = svg.getScreenCTM();
      if (!matrix) return centre();
      var p = svg.createSVGPoint();
      p.x = event.clientX;
      p.y = event.clientY;
      return p.matrixTransform(matrix.inverse());
    }
    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var p = toSvg(event);
      zoom(event.deltaY > 0 ? ZOOM_STEP : 1 / ZOOM_STEP, p.x, p.y);
    }, { passive: false });

    var drag = null;
    var dragged = false;
    svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y };
      dragged = false;
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drag) return;
      var dx = event.clientX - drag.x;
      var dy = event.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
      dragged = true;
      figure.classList.add("dragging");
      var scale = view.w / (svg.getBoundingClientRect().width || 1);
      view.x = drag.vx - dx * scale;
      view.y = drag.vy - dy * scale;
      apply();
    });
    function endDrag() {
      drag = null;
      figure.classList.remove("dragging");
    }
    window.addEventListener("pointerup", endDrag);
    window.addEventListener("pointercancel", endDrag);
    // A drag that ends on a node must not open it.
    svg.addEventListener("click", function (event) {
      if (dragged) {
        event.preventDefault();
        event.stopPropagation();
        dragged = false;
      }
    }, true);

    svg.setAttribute("tabindex", "0");
    svg.addEventListener("keydown", function (event) {
      var c = centre();
      var handled = true;
      switch (event.key) {
        case "+": case "=": zoom(1 / ZOOM_STEP, c.x, c.y); break;
        case "-": case "_": zoom(ZOOM_STEP, c.x, c.y); break;
        case "0": view = { x: base.x, y: base.y, w: base.w, h: base.h }; apply(); break;
        case "ArrowLeft": view.x -= view.w * PAN_STEP; apply(); break;
        case "ArrowRight": view.x += view.w * PAN_STEP; apply(); break;
        case "ArrowUp": view.y -= view.h * PAN_STEP; apply(); break;
        case "ArrowDown": view.y += view.h * PAN_STEP; apply(); break;
        default: handled = false;
      }
      if (handled) event.preventDefault();
    });

    // Hover or focus a node: it, its neighbours and its edges stay, the rest fades.
    var lit = [];
    function clear() {
      figure.classList.remove("focusing");
      lit.forEach(function (el) { el.classList.remove("lit"); });
      lit = [];
    }
    function light(el) {
      el.classList.add("lit");
      lit.push(el);
    }
    function highlight(i) {
      clear();
      figure.classList.add("focusing");
      light(nodes[i]);
      neighbours[i].forEach(function (j) { light(nodes[j]); });
      incident[i].forEach(light);
    }
    nodes.forEach(function (node, i) {
      node.addEventListener("mouseenter", function () { highlight(i); });
      node.addEventListener("focus", function () { highlight(i); });
      node.addEventListener("mouseleave", clear);
      node.addEventListener("blur", clear);
    });

    // Toggles: a relation hides its edges; a tag hides the concepts carrying it (or a sub-tag)
    // and their edges.
    var legend = figure.querySelector(".graph-legend");
    if (!legend) return;
    legend.querySelectorAll("li[data-relation]").forEach(function (item) {
      var relation = item.getAttribute("data-relation");
      var groups = Array.prototype.filter.call(
        svg.querySelectorAll(".edges g[data-relation]"),
        function (g) { return g.getAttribute("data-relation") === relation; });
      makeToggle(item, function (on) {
        groups.forEach(function (g) { g.classList.toggle("off", !on); });
      });
    });

    // The figure lists the top-level tags; each node names its own by position.
    var names = [];
    try {
      names = JSON.parse(figure.getAttribute("data-tag-names") || "[]");
      if (!Array.isArray(names)) names = [];
    } catch (e) {
      names = [];
    }
    var tagsOf = nodes.map(function (node) {
      return (node.getAttribute("data-tags") || "").split(" ").filter(function (p) {
        return names[p] !== undefined;
      }).map(function (p) { return String(names[p]); });
    });
    var counts = {};
    tagsOf.forEach(function (tags) {
      tags.forEach(function (tag) { counts[tag] = (counts[tag] || 0) + 1; });
    });
    var tops = Object.keys(counts).sort(function (a, b) {
      return counts[b] - counts[a] || (a < b ? -1 : 1);
    });
    if (tops.length === 0) return;
    var off = {};
    function refresh() {
      var hidden = tagsOf.map(function (tags) {
        return tags.some(function (tag) { return off[tag]; });
      });
      nodes.forEach(function (node, i) { node.classList.toggle("off", hidden[i]); });
      lines.forEach(function (line, k) {
        line.classList.toggle("off", Boolean(hidden[ends[k][0]] || hidden[ends[k][1]]));
      });
    }
    var list = document.createElement("ul");
    list.className = "graph-tags";
    tops.forEach(function (tag) {
      var item = document.createElement("li");
      item.textContent = "#" + tag + " (" + counts[tag] + ")";
      list.appendChild(item);
      makeToggle(item, function (on) {
        off[tag] = !on;
        refresh();
      });
    });
    legend.appendChild(list);
  }

  // Draws the label a node waiting for zoom carries as its tooltip, under its circle (the
  // style sheet shows it once zoomed in or highlighted).
  function addLabel(node, circle) {
    var title = node.querySelector("title");
    if (!title) return;
    var text = document.createElementNS("http://www.w3.org/2000/svg", "text");
    var r = Number(circle.getAttribute("r"));
    text.setAttribute("x", circle.getAttribute("cx"));
    text.setAttribute("y", String(Number(circle.getAttribute("cy")) + r + LABEL_GAP));
    text.textContent = title.textContent;
    node.appendChild(text);
  }

  // Turns a legend entry into a pressed/unpressed button calling `change(on)`.
  function makeToggle(item, change) {
    item.setAttribute("role", "button");
    item.setAttribute("tabindex", "0");
    item.setAttribute("aria-pressed", "true");
    function flip() {
      var on = item.getAttribute("aria-pressed") !== "true";
      item.setAttribute("aria-pressed", String(on));
      change(on);
    }
    item.addEventListener("click", flip);
    item.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        flip();
      }
    });
  }

  function start() {
    document.querySelectorAll("figure.graph-view").forEach(init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
