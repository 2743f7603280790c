# syntax=docker/dockerfile:1
# Stage 1 builds a static binary; stage 2 ships it alone on an empty image
# with CA certificates and an unprivileged user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/authy . \
 && mkdir -p /out/var \
 && echo 'authy:x:10001:10001:authy:/app:/sbin/nologin' > /out/passwd \
 && echo 'authy:x:10001:' > /out/group

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/passwd /etc/passwd
COPY --from=build /out/group /etc/group
COPY --from=build /out/authy /usr/local/bin/authy
COPY --from=build --chown=10001:10001 /out/var /app/var
WORKDIR /app
USER 10001:10001
ENV HOST=0.0.0.0 PORT=5000
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/authy", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/authy"]
CMD ["serve"]
