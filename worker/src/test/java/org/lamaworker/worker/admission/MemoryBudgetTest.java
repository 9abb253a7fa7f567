package org.lamaworker.worker.admission;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
    @Test
    void admitsWhileTheWorstCasesFitAndShrinksToRealCosts() {
        MemoryBudget budget = new MemoryBudget(1000);
        MemoryBudget.Reservation a = budget.tryReserve(400);
        MemoryBudget.Reservation b = budget.tryReserve(400);
        assertThat(a).isNotNull();
        assertThat(b).isNotNull();
        assertThat(budget.tryReserve(400)).as("a third worst case does not fit").isNull();
        a.shrinkTo(100);
        assertThat(budget.reserved()).isEqualTo(500);
        MemoryBudget.Reservation c = budget.tryReserve(400);
        assertThat(c).isNotNull();
        assertThat(budget.reserved()).isEqualTo(900);
        c.shrinkTo(2000); // larger than reserved: the worst case stands
        assertThat(c.bytes()).isEqualTo(400);
        a.release();
        a.release(); // twice is harmless
        b.release();
        c.release();
        assertThat(budget.reserved()).isZero();
        assertThat(budget.peak()).isEqualTo(900).isLessThanOrEqualTo(budget.budget());
    }

    @Test
    void aJobLargerThanTheBudgetStillRunsAlone() {
        MemoryBudget budget = new MemoryBudget(100);
        MemoryBudget.Reservation big = budget.tryReserve(500);
        assertThat(big).isNotNull();
        assertThat(budget.tryReserve(1)).isNull();
        big.release();
        assertThat(budget.tryReserve(1)).isNotNull();
    }
}
