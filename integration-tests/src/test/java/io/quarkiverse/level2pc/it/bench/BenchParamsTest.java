package io.quarkiverse.level2pc.it.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** The harness's parameters: defaults, overrides, validation and its messages. */
class BenchParamsTest {

    private static BenchParams params(String... kv) {
        return ReportTest.params(kv);
    }

    @Test
    void defaultsAndOverrides() {
        BenchParams d = params();
        assertThat(d.nodes()).containsExactly(1, 3);
        assertThat(d.clients()).containsExactly(1, 16, 64);
        assertThat(d.workloads()).containsExactly(Workload.PUT, Workload.BATCH, Workload.BANK, Workload.HOT_BANK, Workload.GET,
                Workload.MIXED, Workload.PING);
        assertThat(d.valueSize()).isEqualTo(100);
        assertThat(d.baseline()).isTrue();
        assertThat(d.etcd()).isEqualTo(3);
        assertThat(d.etcdTarget()).contains(Target.etcd(3));
        assertThat(d.idle()).isEqualTo(Duration.ofSeconds(10));
        // 7 workloads on 2 node counts, 4 of them also on LevelDB, 5 on etcd (not the bank), times 3 client counts
        assertThat(d.cellCount()).isEqualTo(3 * (7 * 2 + 4 + 5));
        assertThat(d.asProperties()).containsEntry("bench.etcd", "3").containsEntry("bench.idle", "10s")
                .containsEntry("bench.workloads", "put,batch,bank,hot-bank,get,mixed,ping");

        BenchParams p = params("bench.nodes", "3", "bench.clients", "2, 8", "bench.workloads", "GET,ping",
                "bench.duration", "1500ms", "bench.warmup", "0s", "bench.seed", "7", "bench.node-jvm-options", " -Xmx1g  -XX:+UseG1GC ");
        assertThat(p.nodes()).containsExactly(3);
        assertThat(p.clients()).containsExactly(2, 8);
        assertThat(p.workloads()).containsExactly(Workload.GET, Workload.PING);
        assertThat(p.duration()).isEqualTo(Duration.ofMillis(1500));
        assertThat(p.warmup()).isZero();
        assertThat(p.nodeJvmOptions()).containsExactly("-Xmx1g", "-XX:+UseG1GC");
        assertThat(p.asProperties()).containsEntry("bench.duration", "1500ms").containsEntry("bench.warmup", "0s")
                .containsEntry("bench.workloads", "get,ping").containsEntry("bench.seed", "7");
        assertThat(params("bench.nodes", "none").nodes()).isEmpty();
        assertThat(params("bench.node-jvm-options", "").nodeJvmOptions()).isEmpty();
    }

    @Test
    void etcdIdleAndHotBankParameters() {
        assertThat(params("bench.etcd", "none").etcd()).isZero();
        assertThat(params("bench.etcd", "0").etcdTarget()).isEmpty();
        assertThat(params("bench.etcd", "NONE").asProperties()).containsEntry("bench.etcd", "none");
        assertThat(params("bench.etcd", " 5 ").etcd()).isEqualTo(5);
        assertThat(params("bench.etcd", "1", "bench.clients", "1", "bench.workloads", "bank,ping").cellCount())
                .isEqualTo(2 * 2 + 1); // bank and ping on 1 and 3 nodes, ping on etcd, no baseline for either
        assertThatThrownBy(() -> params("bench.etcd", "three")).hasMessageContaining("bench.etcd")
                .hasMessageContaining("'three'").hasMessageContaining("none");
        assertThatThrownBy(() -> params("bench.etcd", "12")).hasMessageContaining("between 1 and 9").hasMessageContaining("12");
        assertThatThrownBy(() -> params("bench.etcd", "-1")).hasMessageContaining("bench.etcd");
        // etcd alone is something to measure
        assertThat(params("bench.nodes", "none", "bench.baseline", "false").etcd()).isEqualTo(3);
        assertThatThrownBy(() -> params("bench.nodes", "none", "bench.baseline", "false", "bench.etcd", "none"))
                .hasMessageContaining("nothing to measure");

        assertThat(params("bench.idle", "0").idle()).isZero();
        assertThat(params("bench.idle", "0s").idle()).isZero();
        assertThat(params("bench.idle", "2500ms").asProperties()).containsEntry("bench.idle", "2500ms");
        assertThatThrownBy(() -> params("bench.idle", "-1s")).hasMessageContaining("bench.idle");

        assertThat(params("bench.workloads", "HOT-BANK,bank").workloads()).containsExactly(Workload.HOT_BANK, Workload.BANK);
        assertThat(Workload.HOT_BANK.label()).isEqualTo("hot-bank");
        assertThatThrownBy(() -> params("bench.workloads", "hot_bank")).hasMessageContaining("hot-bank");
        assertThatThrownBy(() -> params("bench.workloads", "hot-bank", "bench.accounts", "9"))
                .hasMessageContaining("bench.accounts must be at least 10");
        assertThat(params("bench.workloads", "bank", "bench.accounts", "9").accounts()).isEqualTo(9);
        // every workload keeps its own random operations whatever the others
        assertThat(java.util.Arrays.stream(Workload.values()).map(w -> w.seedId).distinct()).hasSize(Workload.values().length);
    }

    @Test
    void durations() {
        assertThat(BenchParams.duration("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(BenchParams.duration("2.5s")).isEqualTo(Duration.ofMillis(2500));
        assertThat(BenchParams.duration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(BenchParams.duration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(BenchParams.duration("PT3S")).isEqualTo(Duration.ofSeconds(3));
        assertThatThrownBy(() -> BenchParams.duration("ten")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> params("bench.workloads", "put,delete")).hasMessageContaining("delete");
        assertThatThrownBy(() -> params("bench.duration", "0s")).isInstanceOf(IllegalArgumentException.class);
    }
}
