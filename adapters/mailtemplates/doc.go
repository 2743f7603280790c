// Package mailtemplates implements mailport.Renderer: the subject, text and
// HTML body of every mail, from templates embedded in the binary
// (text/template for the subject and the text part, html/template, which
// escapes every value for its context, for the HTML part) and one message
// catalogue per language (locales/<tag>.json) holding every string, so a
// translation is one more file. It imports the mail domain, mailport and the
// standard library only.
//
// It is a package of its own, not part of adapters/smtp, because what a mail
// says does not depend on how it travels: the SMTP sender and the log sender
// both send what this renders.
//
// Links are built here from PUBLIC_URL and the token in the data, so no
// caller can make a mail point elsewhere. Every format string uses explicit
// argument indexes (%[1]s), so a translation may reorder them; New refuses a
// catalogue whose translation lacks a default key's verbs or adds keys.
package mailtemplates
