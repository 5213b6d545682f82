/* Tidings: relative times that stay right on cached pages, copy link, AI panel without reloads.
   The rules of relTime() mirror tidings/site/_reltime.py. */
(function () {
  "use strict";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var exactFmt = null;
  try {
    exactFmt = new Intl.DateTimeFormat(undefined, {
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (e) { exactFmt = null; }

  function plural(n, unit) { return n + " " + unit + (n === 1 ? "" : "s") + " ago"; }
  function dayNumber(d) { return Math.round(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) / 86400000); }
  function dateText(when, now) {
    var text = when.getDate() + " " + MONTHS[when.getMonth()];
    return when.getFullYear() !== now.getFullYear() ? text + " " + when.getFullYear() : text;
  }
  function relTime(when, now) {
    var seconds = (now - when) / 1000;
    if (seconds < -300) return dateText(when, now);
    if (seconds < 60) return "just now";
    if (seconds < 3600) return plural(Math.floor(seconds / 60), "minute");
    var days = dayNumber(now) - dayNumber(when);
    if (seconds < 12 * 3600 || (days === 0 && seconds < 86400)) return plural(Math.floor(seconds / 3600), "hour");
    if (days === 1) return "yesterday";
    if (days < 7) return days + " days ago";
    return dateText(when, now);
  }
  function refreshTimes() {
    var now = new Date();
    var nodes = document.querySelectorAll("time[data-rel][datetime]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) continue;
      var text = relTime(when, now);
      if (el.textContent !== text) el.textContent = text;
      if (exactFmt && !el.dataset.local) { el.title = exactFmt.format(when); el.dataset.local = "1"; }
    }
  }
  window.tidingsRelTime = relTime;

  function dropBrokenIcons(root) {
    var imgs = (root || document).querySelectorAll(".mark img");
    for (var i = 0; i < imgs.length; i++) {
      if (imgs[i].complete && imgs[i].naturalWidth === 0) imgs[i].remove();
    }
  }
  document.addEventListener("error", function (ev) {
    var t = ev.target;
    if (t && t.tagName === "IMG") {
      if (t.closest(".mark")) t.remove();
      else if (t.closest(".card-image, .lead-image")) t.closest(".card-image, .lead-image").remove();
    }
  }, true);

  function setupCopy() {
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      if (!navigator.clipboard) continue;
      b.hidden = false;
      b.addEventListener("click", function (ev) {
        var btn = ev.currentTarget;
        var status = btn.parentNode.querySelector(".copy-status");
        navigator.clipboard.writeText(btn.dataset.copy).then(function () {
          if (status) status.textContent = "Link copied";
          setTimeout(function () { if (status) status.textContent = ""; }, 2500);
        }, function () { if (status) status.textContent = "Could not copy: " + btn.dataset.copy; });
      });
    }
  }

  function showError(box, text) {
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = text;
    box.appendChild(p);
  }

  async function streamEvents(response, box) {
    // text/event-stream: "data:" lines carry text chunks, appended as plain text.
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var out = document.createElement("div");
    out.className = "ai-stream";
    out.style.whiteSpace = "pre-wrap";
    box.textContent = "";
    box.appendChild(out);
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var events = buffer.split("\n\n");
      buffer = events.pop();
      events.forEach(function (ev) {
        // "event: html" carries the final server-rendered (sanitised) fragment,
        // "event: error" a message; unnamed events are text pieces.
        var name = "message", data = [];
        ev.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) name = line.slice(6).trim();
          else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
        });
        if (!data.length) return;
        if (name === "html") box.innerHTML = data.join("\n");
        else if (name === "error") showError(box, data.join("\n"));
        else out.textContent += data.join("\n");
      });
    }
  }

  function setupAI() {
    var forms = document.querySelectorAll("form[data-ai]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", async function (ev) {
        var form = ev.currentTarget;
        var box = form.closest(".ai-panel").querySelector(".ai-result");
        if (!box || !window.fetch) return;
        ev.preventDefault();
        var button = form.querySelector("button");
        box.setAttribute("aria-busy", "true");
        box.textContent = "Working…";
        if (button) button.disabled = true;
        try {
          var response = await fetch(form.action, {
            method: "POST", body: new FormData(form), credentials: "same-origin",
            headers: { "HX-Request": "true", "X-Requested-With": "fetch", "Accept": "text/html, text/event-stream, application/json" }
          });
          var type = response.headers.get("Content-Type") || "";
          if (!response.ok && type.indexOf("text/html") === 0) {
            box.innerHTML = await response.text();  // the server's own short message
          } else if (!response.ok) {
            var wait = response.headers.get("Retry-After");
            showError(box, response.status === 429
              ? "Too many requests — please try again" + (wait ? " in " + wait + " seconds." : " later.")
              : "This feature is not available right now (error " + response.status + ").");
          } else if (type.indexOf("text/event-stream") === 0 && response.body) {
            await streamEvents(response, box);
          } else if (type.indexOf("application/json") === 0) {
            var data = await response.json();
            if (data.html) box.innerHTML = data.html; else { box.textContent = data.text || ""; }
          } else {
            box.innerHTML = await response.text();
            refreshTimes();
          }
        } catch (e) {
          showError(box, "Could not reach the server. Check your connection and try again.");
        } finally {
          box.removeAttribute("aria-busy");
          if (button) button.disabled = false;
        }
      });
    }
  }

  function init() {
    refreshTimes();
    setInterval(refreshTimes, 60000);
    dropBrokenIcons();
    setupCopy();
    setupAI();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
