package org.lamaworker.worker.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.pipeline.Rect;
import org.lamaworker.worker.pipeline.Tile;

/**
 * Jobs are admitted within the in-flight limit and the budget, priced, released, and refusals say
 * why.
 */
class AdmissionTest {
    private static final CostModel COSTS = new CostModel(0, 100, 10);

    @Test
    void refusesAtTheInFlightLimitAndSaysSo() {
        Admission admission = new Admission(new MemoryBudget(1_000_000), COSTS, 1000, 2, 1);
        Admission.Ticket a = admission.tryAdmit();
        Admission.Ticket b = admission.tryAdmit();
        assertThat(a).isNotNull();
        assertThat(b).isNotNull();
        assertThat(admission.tryAdmit()).isNull();
        assertThat(admission.lastRefusal()).isEqualTo(Admission.Refusal.IN_FLIGHT_LIMIT);
        assertThat(admission.refusals(Admission.Refusal.IN_FLIGHT_LIMIT)).isEqualTo(1);
        a.release();
        a.release(); // twice is once
        assertThat(admission.inFlight()).isEqualTo(1);
        assertThat(admission.tryAdmit()).isNotNull();
    }

    @Test
    void aPricedJobLeavesRoomForTheNextOne() {
        // Worst case 1000 bytes against a budget of 1700: one job at a time until it is priced.
        Admission admission = new Admission(new MemoryBudget(1700), COSTS, 1000, 10, 1);
        Admission.Ticket first = admission.tryAdmit();
        assertThat(admission.tryAdmit()).isNull();
        assertThat(admission.lastRefusal()).isEqualTo(Admission.Refusal.MEMORY_BUDGET);
        // 20 picture pixels x 10 bytes + one 2x2 tile x 100 bytes per tensor pixel = 600 bytes.
        Tile tile = new Tile(new Rect(0, 0, 2, 2), new Rect(0, 0, 2, 2), 2, 2, 2, 2);
        // A picture with a colour profile costs more per pixel (its sRGB view for the model).
        first.priceJob(20, CostModel.PROFILE_BYTES_PER_PIXEL, List.of(tile));
        assertThat(first.bytes()).isEqualTo(600 + 20 * (long) CostModel.PROFILE_BYTES_PER_PIXEL);
        first.priceJob(20, List.of(tile));
        assertThat(first.bytes()).isEqualTo(600);
        assertThat(admission.budget().reserved()).isEqualTo(600);
        Admission.Ticket second = admission.tryAdmit();
        assertThat(second).isNotNull();
        first.release();
        second.release();
        assertThat(admission.budget().reserved()).isZero();
        assertThat(admission.inFlight()).isZero();
    }
}
