// Drafts that survive a lost connection. A form marked data-draft="<user>:<form>" keeps what is
// typed in this browser's localStorage, is sent with fetch (same idempotency key on every try),
// and on a network failure stays filled in with a message and a retry button. Without this file
// (or without fetch/localStorage) the form posts normally.
// Privacy: never the CSRF token, passwords or files; a draft is removed when the form is saved,
// when anyone logs out on this computer, and after 12 hours.
(function () {
  "use strict";

  var PREFIX = "slrt-draft:";
  var MAX_AGE = 12 * 60 * 60 * 1000;
  var SKIP_NAMES = { csrf_token: true };
  var SKIP_TYPES = { file: true, password: true, submit: true, button: true, reset: true };

  var store = (function () {
    try {
      var probe = PREFIX + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null;
    }
  })();
  if (!store) { return; }

  function draftKeys() {
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) { keys.push(key); }
    }
    return keys;
  }

  function read(key) {
    try {
      var draft = JSON.parse(store.getItem(key));
      return draft && draft.fields && draft.saved ? draft : null;
    } catch (e) {
      return null;
    }
  }

  // Old drafts go on every page load, so a forgotten one does not linger on a shared computer.
  draftKeys().forEach(function (key) {
    var draft = read(key);
    if (!draft || Date.now() - draft.saved > MAX_AGE) { store.removeItem(key); }
  });

  document.querySelectorAll("form[data-clear-drafts]").forEach(function (form) {
    form.addEventListener("submit", function () {
      draftKeys().forEach(function (key) { store.removeItem(key); });
    });
  });

  function clock(time) {
    return new Date(time).toLocaleTimeString(document.documentElement.lang || "id", {
      hour: "2-digit", minute: "2-digit"
    });
  }

  // Unsent drafts listed where the officer starts again, so one whose page changed meanwhile
  // (the visitor is now "found" because the lost request did save) is still within reach.
  document.querySelectorAll("[data-draft-list]").forEach(function (box) {
    var prefix = PREFIX + box.getAttribute("data-draft-list");
    var list = box.querySelector("[data-draft-items]");
    draftKeys().filter(function (key) { return key.indexOf(prefix) === 0; }).forEach(function (key) {
      var draft = read(key);
      if (!draft || !draft.resume || draft.resume.charAt(0) !== "/" || draft.resume.charAt(1) === "/") { return; }
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = draft.resume;
      link.textContent = draft.label || "–";
      item.appendChild(link);
      item.appendChild(document.createTextNode(" · " + clock(draft.saved)));
      list.appendChild(item);
    });
    box.hidden = !list.children.length;
  });

  function kept(element) {
    return element.name && !SKIP_NAMES[element.name] && !SKIP_TYPES[element.type] && !element.disabled;
  }

  function collect(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!kept(element)) { return; }
      if (element.type === "checkbox" || element.type === "radio") {
        fields[element.name] = fields[element.name] || [];
        if (element.checked) { fields[element.name].push(element.value); }
      } else {
        fields[element.name] = element.value;
      }
    });
    return fields;
  }

  function fill(form, fields) {
    // Pages that grow rows (static/js/intake.js) make room for every row the draft holds.
    form.dispatchEvent(new CustomEvent("draft:fill", { detail: fields }));
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!kept(element) || !(element.name in fields)) { return; }
      var value = fields[element.name];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = Array.isArray(value) && value.indexOf(element.value) !== -1;
      } else if (typeof value === "string") {
        element.value = value;
      }
      // Other scripts (member names in "untuk siapa", the region picker) follow the change.
      element.dispatchEvent(new Event("input", { bubbles: true }));
      element.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function show(form, name, on) {
    form.querySelectorAll("[data-draft-" + name + "]").forEach(function (element) {
      element.hidden = !on;
    });
  }

  function setUp(form) {
    var key = PREFIX + form.getAttribute("data-draft");
    var sending = false;

    function save() {
      try {
        var fields = collect(form);
        store.setItem(key, JSON.stringify({
          saved: Date.now(),
          fields: fields,
          // Where to continue it, and a name to recognise it by on the find step.
          resume: form.getAttribute("data-draft-resume") || window.location.pathname + window.location.search,
          label: fields.name || ""
        }));
      } catch (e) {
        // Storage full: the form still works, the draft just is not kept.
      }
    }

    function clear() { store.removeItem(key); }

    function buttons(enabled) {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = !enabled; });
    }

    function failed(kind) {
      sending = false;
      save();
      show(form, "sending", false);
      show(form, kind, true);
      buttons(true);
      var message = form.querySelector("[data-draft-" + kind + "]");
      if (message) { message.focus(); }
    }

    // A page the server sent back with problems shows what was posted: that is the draft now.
    // Otherwise an unsent draft is put back, and the officer is told.
    var draft = read(key);
    if (document.getElementById("problems")) {
      save();
    } else if (draft) {
      fill(form, draft.fields);
      // Folded sections holding restored text are opened, so nothing restored is out of sight.
      form.querySelectorAll("details").forEach(function (details) {
        var inputs = details.querySelectorAll("input[type=text], textarea");
        if (Array.prototype.some.call(inputs, function (input) { return input.value; })) { details.open = true; }
      });
      var time = form.querySelector("[data-draft-time]");
      if (time) {
        time.textContent = clock(draft.saved);
      }
      show(form, "restored", true);
    }
    show(form, "note", true);

    form.addEventListener("input", save);
    form.addEventListener("change", save);

    form.querySelectorAll("[data-draft-discard]").forEach(function (button) {
      button.addEventListener("click", function () {
        clear();
        window.location.reload();
      });
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) { return; }
      sending = true;
      save();
      show(form, "offline", false);
      show(form, "server", false);
      show(form, "sending", true);
      buttons(false);
      var body = new FormData(form);
      // A named submit button (e.g. "add another row") is part of what the form says.
      if (event.submitter && event.submitter.name) { body.append(event.submitter.name, event.submitter.value); }
      window.fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.ok && type.indexOf("application/json") === 0) {
          return response.json().then(function (answer) {
            if (!answer.redirect) { failed("server"); return; }
            clear();
            window.location.assign(answer.redirect);
          });
        }
        if (response.status >= 500 || type.indexOf("text/html") !== 0) {
          failed("server");
          return;
        }
        // The form again with the problems marked (or an error page): show it as a page would.
        return response.text().then(function (html) {
          document.open();
          document.write(html);
          document.close();
        });
      }).catch(function () {
        failed("offline");
      });
    });

    // Coming back with the Back button shows the page as it was left: ready to send again.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        sending = false;
        buttons(true);
        show(form, "sending", false);
      }
    });
  }

  // After every deferred script of the page, so those listening for "draft:fill" or for the
  // restored fields' change events are ready.
  function start() {
    document.querySelectorAll("form[data-draft]").forEach(setUp);
  }
  if (window.fetch && window.FormData) {
    if (document.readyState === "complete") { start(); } else { document.addEventListener("DOMContentLoaded", start); }
  }
})();
