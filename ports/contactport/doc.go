// Package contactport declares the contact context's ports. in.go holds the
// use-case API the HTTP adapter calls; out.go what the contact application
// needs from the outside: its store (enquiries, and the hand-over of the
// mail queued before the mail context existed). The notification mail goes
// through mailport. The executable contract of the store lives in
// contactporttest.
//
// It imports only the standard library, domain packages and other ports.
package contactport
