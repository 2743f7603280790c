// Package pageshttp is the inbound HTTP adapter of the hosted pages: the
// server-rendered sign-in, account, sign-out, email, password and
// invitation pages a browser uses, on the session cookie of
// httpapi.Browser.
//
// Pages are html/template files and one stylesheet, all embedded; they run
// no script, load nothing from elsewhere and work without JavaScript. Every
// string a person reads comes from the message catalogue (messages.go),
// chosen by Accept-Language, so a translation is a new entry there. The
// page group's errors are HTML pages (Pages is its httpapi.Renderer), never
// JSON. Forms carry a CSRF token: the session's on pages for a signed-in
// user, the pre-session cookie's before sign-in. Where a page sends the
// browser afterwards (return_to) is decided by ReturnPolicy, never by the
// link alone.
//
// Handlers are thin: decode the form, call one port method, render. It
// imports Fiber, httpapi, ports and domain/shared, never application/.
package pageshttp
