// Register a passkey from the security page: begin the ceremony over the
// JSON API with the session's CSRF token, let the browser's authenticator
// create the credential, finish it, and show the page again with the new
// passkey. Served from Authy itself (the page's CSP admits only its own
// scripts); binary values travel in base64url.
(function () {
  "use strict";
  var button = document.getElementById("passkey-register");
  var name = document.getElementById("passkey-name");
  var problem = document.getElementById("passkey-error");
  var meta = document.querySelector('meta[name="authy-csrf-token"]');
  if (!button || !meta) {
    return;
  }
  if (!window.PublicKeyCredential || !navigator.credentials) {
    button.hidden = true;
    return;
  }
  var csrf = meta.getAttribute("content");
  function fromB64(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    var raw = atob(s);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out.buffer;
  }
  function toB64(buf) {
    var bytes = new Uint8Array(buf);
    var s = "";
    for (var i = 0; i < bytes.length; i++) {
      s += String.fromCharCode(bytes[i]);
    }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function call(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json();
    }).then(function (env) {
      if (!env.success) {
        throw new Error(env.message);
      }
      return env.data;
    });
  }
  function fail() {
    button.disabled = false;
    if (problem) {
      problem.hidden = false;
    }
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    if (problem) {
      problem.hidden = true;
    }
    call("/api/v1/users/me/mfa/webauthn/register/begin").then(function (begun) {
      var pk = begun.options.publicKey;
      pk.challenge = fromB64(pk.challenge);
      pk.user.id = fromB64(pk.user.id);
      (pk.excludeCredentials || []).forEach(function (c) {
        c.id = fromB64(c.id);
      });
      return navigator.credentials.create({ publicKey: pk }).then(function (cred) {
        var r = cred.response;
        var answer = {
          id: cred.id,
          rawId: toB64(cred.rawId),
          type: cred.type,
          clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
          response: {
            clientDataJSON: toB64(r.clientDataJSON),
            attestationObject: toB64(r.attestationObject)
          }
        };
        if (r.getTransports) {
          answer.response.transports = r.getTransports();
        }
        if (cred.authenticatorAttachment) {
          answer.authenticatorAttachment = cred.authenticatorAttachment;
        }
        return call("/api/v1/users/me/mfa/webauthn/register/finish", {
          ceremony: begun.ceremony, credential: answer, name: name ? name.value : ""
        });
      });
    }).then(function () {
      // The page may be a form's answer: show it afresh by GET, never
      // post that form again.
      var back = document.querySelector('input[name="return_to"]');
      window.location.assign("/account/security" + (back ? "?return_to=" + encodeURIComponent(back.value) : ""));
    }).catch(fail);
  });
})();
