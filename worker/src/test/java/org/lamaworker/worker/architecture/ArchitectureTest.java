package org.lamaworker.worker.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package graph of the worker runs one way (docs/architecture.md draws it): app -> kafka, job
 * -> admission, pipeline, storage, inference -> image -> config, failure -> protocol, with the full
 * jar's tools above app, management beside kafka and job, and the browser console beside job (only
 * app starts it; it uses kafka, storage, image, management, config and failure). A cycle or an
 * upward import fails the build here, with the offending classes named.
 */
class ArchitectureTest {
    private static final String ROOT = "org.lamaworker.worker";
    private static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        production =
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages(ROOT);
    }

    /**
     * Top-level packages under {@code root} (sub-packages count with their parent) have no cycle.
     */
    static ArchRule noCycles(String root) {
        return slices().matching(root + ".(*)..").should().beFreeOfCycles();
    }

    static ArchRule layers() {
        String tools = "tools", app = "app", kafka = "kafka", job = "job";
        String admission = "admission", pipeline = "pipeline", storage = "storage";
        String inference = "inference", image = "image", management = "management";
        String config = "config", failure = "failure", console = "console";
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer(tools)
                .definedBy(ROOT + ".tools..")
                .layer(app)
                .definedBy(ROOT + ".app..")
                .layer(console)
                .definedBy(ROOT + ".console..")
                .layer(job)
                .definedBy(ROOT + ".job..")
                .layer(kafka)
                .definedBy(ROOT + ".kafka..")
                .layer(management)
                .definedBy(ROOT + ".management..")
                .layer(admission)
                .definedBy(ROOT + ".admission..")
                .layer(pipeline)
                .definedBy(ROOT + ".pipeline..")
                .layer(storage)
                .definedBy(ROOT + ".storage..")
                .layer(inference)
                .definedBy(ROOT + ".inference..")
                .layer(image)
                .definedBy(ROOT + ".image..")
                .layer(config)
                .definedBy(ROOT + ".config..")
                .layer(failure)
                .definedBy(ROOT + ".failure..")
                .whereLayer(tools)
                .mayNotBeAccessedByAnyLayer()
                .whereLayer(app)
                .mayOnlyBeAccessedByLayers(tools)
                .whereLayer(console)
                .mayOnlyBeAccessedByLayers(app, tools)
                .whereLayer(job)
                .mayOnlyBeAccessedByLayers(app, tools)
                .whereLayer(kafka)
                .mayOnlyBeAccessedByLayers(job, console, app, tools)
                .whereLayer(management)
                .mayOnlyBeAccessedByLayers(job, kafka, console, app, tools)
                .whereLayer(admission)
                .mayOnlyBeAccessedByLayers(kafka, job, app, tools)
                .whereLayer(storage)
                .mayOnlyBeAccessedByLayers(job, console, app, tools)
                .whereLayer(pipeline)
                .mayOnlyBeAccessedByLayers(admission, job, app, tools)
                .whereLayer(inference)
                .mayOnlyBeAccessedByLayers(pipeline, admission, job, app, tools)
                .whereLayer(image)
                .mayOnlyBeAccessedByLayers(inference, pipeline, admission, job, console, app, tools)
                .whereLayer(config)
                .mayNotAccessAnyLayer()
                .whereLayer(failure)
                .mayNotAccessAnyLayer();
    }

    @Test
    void topLevelPackagesHaveNoCycles() {
        noCycles(ROOT).check(production);
    }

    @Test
    void everyDependencyPointsDownTheLayers() {
        layers().check(production);
    }

    @Test
    void theServingJarNeedsNothingOfTheTools() {
        noClasses()
                .that()
                .resideOutsideOfPackage(ROOT + ".tools..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage(ROOT + ".tools..")
                .check(production);
    }

    @Test
    void theCycleRuleFailsOnACycle() {
        // Two packages of test fixtures that import each other: the rule must name them.
        JavaClasses fixtures =
                new ClassFileImporter().importPackages(getClass().getPackageName() + ".cycle");
        EvaluationResult result =
                noCycles(getClass().getPackageName() + ".cycle").evaluate(fixtures);
        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().toString())
                .contains("Cycle detected")
                .contains("cycle.left")
                .contains("cycle.right");
    }
}
