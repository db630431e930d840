# The Tributary worker image: `docker build -t tributary .`
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin tributary

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home /var/lib/tributary tributary \
    && mkdir -p /var/lib/tributary && chown tributary /var/lib/tributary
COPY --from=build /src/target/release/tributary /usr/local/bin/tributary
USER tributary
VOLUME /var/lib/tributary
EXPOSE 8083
# Listens on every interface inside the container; publish the port deliberately.
ENTRYPOINT ["tributary"]
CMD ["serve", "--listen", "0.0.0.0:8083", "--data-dir", "/var/lib/tributary"]
