# Builds Axion from Debian packages and runs the paper engine offline.
#   docker build -t axion .            (BASE can point at a locally imported bookworm image)
#   docker run --rm -v axion_state:/data/state axion
ARG BASE=debian:bookworm
FROM ${BASE} AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAXION_BUILD_TESTS=OFF \
      -DAXION_BUILD_BENCH=OFF \
 && cmake --build build -j2 \
 && cmake --install build --prefix /opt/axion

FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends \
      libboost-program-options1.74.0 libtomlplusplus3 libspdlog1.10 libfmt9 libsqlite3-0 libjemalloc2 \
      libpistache0 libssl3 libcurl4 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/axion /opt/axion
COPY configs /opt/axion/configs
VOLUME /data/state
HEALTHCHECK --interval=30s CMD test "$(grep -c '"kill_switch_active": true' /data/state/bot_state.json)" = "0"
ENTRYPOINT ["/opt/axion/bin/axion-host", "--pipeline", "/opt/axion/configs/paper.toml", "--state-dir", "/data/state"]
