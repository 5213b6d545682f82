// Comment forms without a page reload: post with fetch, swap in the HTML the
// server rendered. Without JavaScript the same forms post and redirect back.
(function () {
  "use strict";
  if (window.tidingsComments) return;
  window.tidingsComments = true;

  function showError(form, html) {
    var box = form.querySelector(".cm-form-error");
    if (box) { box.innerHTML = html; } else { alert(form.textContent); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.cmForm) return;
    event.preventDefault();
    var mode = form.dataset.cmForm;
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Tidings-Fragment": "1" }
    }).then(function (response) {
      return response.text().then(function (html) { return { ok: response.ok, html: html }; });
    }).then(function (result) {
      if (!result.ok) { showError(form, result.html); return; }
      var holder = document.createElement("template");
      holder.innerHTML = result.html.trim();
      var node = holder.content.firstElementChild;
      if (!node) return;
      if (mode === "replace") {
        var old = form.closest(".cm-item");
        var replies = old && old.querySelector(":scope > .cm-replies");
        var fresh = node.querySelector(":scope > .cm-replies");
        if (replies && fresh) fresh.replaceWith(replies);
        if (old) old.replaceWith(node);
      } else {
        var list;
        if (mode === "reply") {
          list = document.getElementById("replies-" + form.dataset.parent);
          list.appendChild(node);
          form.closest("details").open = false;
        } else {
          list = document.getElementById("comment-list");
          var empty = list.querySelector(".cm-empty");
          if (empty) empty.remove();
          var section = form.closest(".cm");
          if (section && section.dataset.order === "oldest") list.appendChild(node);
          else list.insertBefore(node, list.firstChild);
        }
        form.reset();
        var err = form.querySelector(".cm-form-error");
        if (err) err.innerHTML = "";
        if (node.classList.contains("cm-status-published")) {
          var count = document.querySelector("[data-comment-count]");
          if (count) count.textContent = String(parseInt(count.textContent, 10) + 1);
        }
      }
      node.classList.add("cm-fresh");
      node.scrollIntoView({ block: "nearest" });
    }).catch(function () {
      showError(form, "<p class=\"cm-error\" role=\"alert\">Network error; please try again.</p>");
    }).finally(function () {
      if (button) button.disabled = false;
    });
  });
})();
