package org.xenpostcopy.architecture;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layer rules ({@link LayerRules}) on the main classes of every module. Test classes are left out: those of
 * this module by {@link ImportOption.DoNotIncludeTests}, xen-bindings' test-jar (on this module's classpath for
 * {@code Await} and {@code TestPager}) by its name. {@link LayerRulesFixtureTest} shows each rule failing.
 */
class LayerRulesTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages(LayerRules.ROOT);
    }

    @Test
    void theImportHoldsTheMainClassesOfEveryModuleAndNoTests() {
        for (String main : new String[] {
                "org.xenpostcopy.xen.XenHost",
                "org.xenpostcopy.xen.emulated.EmulatedXenHost",
                "org.xenpostcopy.xen.nativehost.NativeXenHost",
                "org.xenpostcopy.balloon.SelfBallooningController",
                "org.xenpostcopy.migration.cli.Xlpc",
                "org.xenpostcopy.migration.protocol.thrift.TPages"}) {
            assertTrue(classes.contain(main), main + " imported");
        }
        for (String test : new String[] {
                "org.xenpostcopy.xen.Await",
                "org.xenpostcopy.xen.emulated.EmulatedPagingTest",
                "org.xenpostcopy.it.TwoHosts",
                LayerRulesTest.class.getName()}) {
            assertFalse(classes.contain(test), test + " is a test class");
        }
    }

    @Test
    void modulesDependOneWay() {
        LayerRules.modulesDependOneWay(LayerRules.ROOT).check(classes);
    }

    @Test
    void jnaStaysInNativeHost() {
        LayerRules.jnaStaysInNativeHost(LayerRules.ROOT).check(classes);
    }

    @Test
    void thriftStaysAtTheEdge() {
        LayerRules.thriftStaysAtTheEdge(LayerRules.ROOT).check(classes);
    }

    @Test
    void tlsLibrariesStayInTls() {
        LayerRules.tlsLibrariesStayInTls(LayerRules.ROOT).check(classes);
    }

    @Test
    void metricsStayInTheDaemon() {
        LayerRules.metricsStayInTheDaemon(LayerRules.ROOT).check(classes);
    }

    @Test
    void engineDoesNotKnowWhichHost() {
        LayerRules.engineDoesNotKnowWhichHost(LayerRules.ROOT).check(classes);
    }

    @Test
    void packagesAreFreeOfCycles() {
        LayerRules.packagesAreFreeOfCycles(LayerRules.ROOT).check(classes);
    }

    @Test
    void hostsArePeers() {
        LayerRules.hostsArePeers(LayerRules.ROOT).check(classes);
    }
}
