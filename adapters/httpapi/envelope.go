package httpapi

import (
	"github.com/gofiber/fiber/v2"
)

// Version is the envelope version.
const Version = "1.0"

type envelope struct {
	Version   string         `json:"version"`
	Success   bool           `json:"success"`
	Code      int            `json:"code"`
	Message   string         `json:"message"`
	RequestID string         `json:"request_id"`
	Data      any            `json:"data,omitempty"`
	Meta      any            `json:"meta,omitempty"`
	Error     *envelopeError `json:"error,omitempty"`
}

type envelopeError struct {
	Type    string `json:"type"`
	Code    string `json:"code,omitempty"`
	Details any    `json:"details,omitempty"`
}

// ListMeta is the pagination block of a list response.
type ListMeta struct {
	Limit      int     `json:"limit"`
	NextCursor *string `json:"next_cursor"`
	Total      *int64  `json:"total,omitempty"`
}

// Respond writes a success envelope with data (by hand when data is a
// JSONAppender).
func Respond(c *fiber.Ctx, status int, message string, data any) error {
	if a, ok := data.(JSONAppender); ok {
		return respondAppended(c, status, message, a)
	}
	if data == nil {
		data = fiber.Map{}
	}
	return c.Status(status).JSON(envelope{
		Version: Version, Success: true, Code: status, Message: message,
		RequestID: RequestID(c), Data: data,
	})
}

// OK writes a 200 success envelope.
func OK(c *fiber.Ctx, message string, data any) error {
	return Respond(c, fiber.StatusOK, message, data)
}

// Created writes a 201 success envelope.
func Created(c *fiber.Ctx, message string, data any) error {
	return Respond(c, fiber.StatusCreated, message, data)
}

// List writes a 200 envelope whose data is an array and meta the page.
func List[T any](c *fiber.Ctx, message string, items []T, meta ListMeta) error {
	if items == nil {
		items = []T{}
	}
	return c.Status(fiber.StatusOK).JSON(envelope{
		Version: Version, Success: true, Code: fiber.StatusOK, Message: message,
		RequestID: RequestID(c), Data: items, Meta: meta,
	})
}

func writeError(c *fiber.Ctx, status int, typ, code, message string, details any) error {
	return c.Status(status).JSON(envelope{
		Version: Version, Success: false, Code: status, Message: message,
		RequestID: RequestID(c),
		Error:     &envelopeError{Type: typ, Code: code, Details: details},
	})
}
