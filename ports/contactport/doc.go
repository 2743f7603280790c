// Package contactport declares the contact context's ports. in.go holds the
// use-case API the HTTP adapter and the mail worker call; out.go what the
// contact application needs from the outside: its store (enquiries and the
// mail outbox, in one unit of work) and a mail sender. The executable
// contract of out.go lives in contactporttest.
//
// It imports only the standard library and domain packages.
package contactport
