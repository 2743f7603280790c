// Sign in with a passkey: ask Authy for a ceremony, let the browser's
// authenticator answer it, and post the answer with the sign-in form's
// CSRF token. Served from Authy itself (the sign-in page's CSP admits only
// its own scripts); binary values travel in base64url.
(function () {
  "use strict";
  var button = document.getElementById("passkey-signin");
  var form = document.getElementById("passkey-form");
  var problem = document.getElementById("passkey-error");
  if (!button || !form) {
    return;
  }
  if (!window.PublicKeyCredential || !navigator.credentials) {
    button.hidden = true;
    return;
  }
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
    fetch("/api/v1/auth/webauthn/login/begin", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (res) {
      return res.json();
    }).then(function (env) {
      if (!env.success) {
        throw new Error(env.message);
      }
      var pk = env.data.options.publicKey;
      pk.challenge = fromB64(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) {
        c.id = fromB64(c.id);
      });
      return navigator.credentials.get({ publicKey: pk }).then(function (cred) {
        var r = cred.response;
        var answer = {
          id: cred.id,
          rawId: toB64(cred.rawId),
          type: cred.type,
          clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
          response: {
            clientDataJSON: toB64(r.clientDataJSON),
            authenticatorData: toB64(r.authenticatorData),
            signature: toB64(r.signature)
          }
        };
        if (r.userHandle) {
          answer.response.userHandle = toB64(r.userHandle);
        }
        if (cred.authenticatorAttachment) {
          answer.authenticatorAttachment = cred.authenticatorAttachment;
        }
        form.elements.ceremony.value = env.data.ceremony;
        form.elements.credential.value = JSON.stringify(answer);
        form.submit();
      });
    }).catch(fail);
  });
})();
