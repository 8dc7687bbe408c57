package io.quarkiverse.level2pc.core;

import static io.quarkiverse.level2pc.core.Outcome.COMMITTED;
import static io.quarkiverse.level2pc.core.Outcome.IN_PROGRESS;
import static io.quarkiverse.level2pc.core.Outcome.ROLLED_BACK;
import static io.quarkiverse.level2pc.core.Outcome.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The rules that resolve a branch left in doubt. */
class ResolutionTest {

    private static List<Outcome> answers(Outcome... o) {
        return Arrays.asList(o); // null entries allowed: a participant that could not be asked
    }

    @Nested
    class FromCoordinator {

        @ParameterizedTest
        @EnumSource(value = Outcome.class, names = { "COMMITTED", "ROLLED_BACK" })
        void aFinalAnswerIsCarriedOut(Outcome answer) {
            assertThat(Resolution.fromCoordinator(answer)).isEqualTo(answer);
        }

        @ParameterizedTest
        @EnumSource(value = Outcome.class, names = { "IN_PROGRESS", "UNKNOWN" })
        void anAnswerThatIsNotFinalLeavesTheBranchInDoubt(Outcome answer) {
            assertThat(Resolution.fromCoordinator(answer)).isNull();
        }

        @Test
        void noAnswerLeavesTheBranchInDoubt() {
            assertThat(Resolution.fromCoordinator(null)).isNull();
        }
    }

    @Nested
    class Adopted {

        @ParameterizedTest
        @EnumSource(Outcome.class)
        void theCoordinatorSayingCommittedDecidesWhateverTheParticipantsSay(Outcome participant) {
            assertThat(Resolution.adopted(COMMITTED, answers(participant, null))).isEqualTo(COMMITTED);
        }

        @ParameterizedTest
        @EnumSource(Outcome.class)
        void aParticipantSayingCommittedDecidesWhateverTheCoordinatorSays(Outcome coordinator) {
            assertThat(Resolution.adopted(coordinator, answers(UNKNOWN, COMMITTED))).isEqualTo(COMMITTED);
        }

        @Test
        void aParticipantSayingCommittedDecidesEvenWhenTheCoordinatorCouldNotBeAsked() {
            assertThat(Resolution.adopted(null, answers(COMMITTED))).isEqualTo(COMMITTED);
        }

        @Test
        void rolledBackOnlyWhenTheCoordinatorSaysSoAndNoParticipantHasTheBranchOrAHint() {
            assertThat(Resolution.adopted(ROLLED_BACK, answers(UNKNOWN, UNKNOWN))).isEqualTo(ROLLED_BACK);
            assertThat(Resolution.adopted(ROLLED_BACK, answers())).as("no participant to ask").isEqualTo(ROLLED_BACK);
        }

        @ParameterizedTest
        @EnumSource(value = Outcome.class, names = { "ROLLED_BACK", "IN_PROGRESS" })
        void aParticipantThatStillHasItKeepsTheBranchInDoubt(Outcome participant) {
            assertThat(Resolution.adopted(ROLLED_BACK, answers(UNKNOWN, participant))).isNull();
        }

        @Test
        void aParticipantThatCouldNotBeAskedKeepsTheBranchInDoubt() {
            assertThat(Resolution.adopted(ROLLED_BACK, answers(UNKNOWN, null))).isNull();
            assertThat(Resolution.adopted(ROLLED_BACK, answers(null, UNKNOWN))).isNull();
        }

        @Test
        void theOrderOfTheAnswersDoesNotMatter() {
            assertThat(Resolution.adopted(ROLLED_BACK, answers(COMMITTED, null))).isEqualTo(COMMITTED);
            assertThat(Resolution.adopted(ROLLED_BACK, answers(null, COMMITTED))).as("an unanswered participant listed first")
                    .isEqualTo(COMMITTED);
            assertThat(Resolution.adopted(UNKNOWN, answers(ROLLED_BACK, COMMITTED))).isEqualTo(COMMITTED);
        }

        @ParameterizedTest
        @EnumSource(value = Outcome.class, names = { "IN_PROGRESS", "UNKNOWN" })
        void aCoordinatorThatIsNotSureKeepsTheBranchInDoubtEvenIfNoParticipantHasIt(Outcome coordinator) {
            assertThat(Resolution.adopted(coordinator, answers(UNKNOWN, UNKNOWN))).isNull();
        }

        @Test
        void aCoordinatorThatCouldNotBeAskedKeepsTheBranchInDoubtUnlessAParticipantSaysCommitted() {
            assertThat(Resolution.adopted(null, answers(UNKNOWN))).isNull();
            assertThat(Resolution.adopted(null, answers())).isNull();
        }

        @Test
        void aParticipantInProgressDoesNotDecide() {
            assertThat(Resolution.adopted(IN_PROGRESS, answers(IN_PROGRESS))).isNull();
        }
    }
}
