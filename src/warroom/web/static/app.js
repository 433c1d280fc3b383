// warroom: live pages with EventSource and fragment re-fetches. No framework, no build step.
(function () {
  "use strict";

  function ago(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m";
    if (s < 86400) return Math.floor(s / 3600) + "h " + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m";
    return Math.floor(s / 86400) + "d " + Math.floor(s % 86400 / 3600) + "h";
  }

  function tickTimes() {
    var skew = window.warroomSkew || 0;
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) el.textContent = ago((Date.now() - skew - since) / 1000);
    });
  }

  function status(text) {
    var el = document.getElementById("live-status");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("show", !!text);
  }

  function fetchHTML(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}}).then(function (r) {
      if (!r.ok || r.redirected) throw new Error("fetch " + url + ": " + r.status);
      return r.text();
    });
  }

  // Run `fn` at most once per `ms`, and once more after the last call.
  function coalesce(fn, ms) {
    var running = false, again = false;
    return function run() {
      if (running) { again = true; return; }
      running = true;
      Promise.resolve(fn()).catch(function (e) { console.warn(e); }).then(function () {
        setTimeout(function () { running = false; if (again) { again = false; run(); } }, ms);
      });
    };
  }

  function listen(url, handlers) {
    var es = new EventSource(url);
    es.onopen = function () { status(""); document.body.dataset.live = "open"; };
    es.onerror = function () { status("Reconnecting…"); document.body.dataset.live = "reconnecting"; };
    Object.keys(handlers).forEach(function (name) { es.addEventListener(name, handlers[name]); });
    return es;
  }

  function queuePage(table) {
    var body = document.getElementById("queue-rows");
    var refresh = coalesce(function () {
      var before = {};
      body.querySelectorAll("tr[data-key]").forEach(function (tr) { before[tr.dataset.key] = tr.dataset.version; });
      return fetchHTML(table.dataset.rows).then(function (html) {
        body.innerHTML = html;
        body.querySelectorAll("tr[data-key]").forEach(function (tr) {
          if (before[tr.dataset.key] !== tr.dataset.version) tr.classList.add("flash");
        });
      });
    }, 250);
    listen(table.dataset.live + "?after=" + encodeURIComponent(table.dataset.after), {changed: refresh});
  }

  function warRoom(root) {
    var timeline = document.getElementById("timeline");
    var summary = document.getElementById("summary");
    // remember which choices the user made, so a live refresh keeps them (and only them)
    summary.addEventListener("change", function (ev) { if (ev.target.tagName === "SELECT") ev.target.dataset.touched = "1"; });
    var refreshSummary = coalesce(function () {
      return fetchHTML(root.dataset.summary).then(function (html) {
        // keep what the user is typing and where the focus is
        var typed = {}, focused = document.activeElement && summary.contains(document.activeElement) ? document.activeElement.id : null;
        summary.querySelectorAll("input[type=text], input:not([type]), textarea, select").forEach(function (el) {
          if (el.id && el.value && (el.tagName !== "SELECT" || el.dataset.touched)) typed[el.id] = el.value;
        });
        summary.innerHTML = html;
        Object.keys(typed).forEach(function (id) {
          var el = document.getElementById(id);
          if (!el) return;
          if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === typed[id]; })) return;
          el.value = typed[id];
          if (el.tagName === "SELECT") el.dataset.touched = "1";
        });
        if (focused) { var f = document.getElementById(focused); if (f) f.focus(); }
        tickTimes();
      });
    }, 250);
    listen(root.dataset.live + "?after=" + encodeURIComponent(root.dataset.after), {
      timeline: function (msg) {
        var data = JSON.parse(msg.data);
        if (!document.getElementById("ev-" + data.seq)) {
          timeline.insertAdjacentHTML("afterbegin", data.html);  // server-rendered and escaped
          var li = document.getElementById("ev-" + data.seq);
          if (li) li.classList.add("fresh");
        }
        root.dataset.after = data.seq;
        refreshSummary();
      }
    });
  }

  function declareForm() {
    var out = document.getElementById("derived");
    if (!out) return;
    var matrix = JSON.parse(out.dataset.matrix);
    var imp = document.getElementById("impact"), urg = document.getElementById("urgency");
    function show() { out.textContent = matrix[imp.value + "|" + urg.value] || "?"; }
    imp.addEventListener("change", show); urg.addEventListener("change", show); show();
  }

  // <form data-confirm="..."> asks before it is sent (rotating a key, say).
  document.addEventListener("submit", function (e) {
    var ask = e.target.dataset && e.target.dataset.confirm;
    if (ask && !window.confirm(ask)) e.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("queue");
    if (table && table.dataset.live) queuePage(table);
    var root = document.getElementById("warroom");
    if (root && root.dataset.live) warRoom(root);
    declareForm();
    setInterval(tickTimes, 30000);
  });
})();
