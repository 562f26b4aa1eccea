# stripe-mcp over HTTP (/mcp, /sse, /ws, /webhooks/stripe, /healthz).
#   docker build -t stripe-mcp .
#   docker run -p 8787:8787 -v stripe-mcp-data:/data \
#     -e STRIPE_API_KEY=sk_test_... -e STRIPE_MCP_AUTH_TOKEN=... \
#     -e STRIPE_MCP_ALLOWED_HOSTS=localhost:8787,mcp.example.com stripe-mcp
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/stripe-mcp ./cmd/stripe-mcp \
 && mkdir -p /out/data

# A static binary on a minimal base: CA certificates, no shell, user 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/stripe-mcp /stripe-mcp
# The data dir (audit log, idempotency, spend, tokens) belongs to the user
# the server runs as, so that a named volume mounted there is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV STRIPE_MCP_DATA_DIR=/data
VOLUME ["/data"]
USER nonroot:nonroot
EXPOSE 8787
HEALTHCHECK NONE
ENTRYPOINT ["/stripe-mcp", "http", "--listen", "0.0.0.0:8787"]
