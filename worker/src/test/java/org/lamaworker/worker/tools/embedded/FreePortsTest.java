package org.lamaworker.worker.tools.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FreePortsTest {

    /**
     * A broker and its controller were once given the same port, because each pick closed its
     * socket before the next: the kernel may then hand that port out again. Many rounds make a
     * repeat likely if the picks are not held together.
     */
    @Test
    void portsPickedTogetherAreDistinct() {
        for (int round = 0; round < 500; round++) {
            int[] ports = FreePorts.pick(3);
            assertThat(ports).hasSize(3).doesNotHaveDuplicates();
            assertThat(java.util.Arrays.stream(ports).boxed().toList())
                    .allSatisfy(p -> assertThat(p).isBetween(1, 65535));
        }
    }
}
