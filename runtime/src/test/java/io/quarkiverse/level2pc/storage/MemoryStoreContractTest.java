package io.quarkiverse.level2pc.storage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The Store contract on the in-memory store whose writes complete at once. */
class MemoryStoreContractTest extends StoreContractTest {

    @Override
    protected Store newStore() {
        return MemoryStore.immediate("contract");
    }

    @Test
    void itLivesInMemoryUnderItsName() {
        assertThat(open().location()).isEqualTo("memory:contract");
    }
}
