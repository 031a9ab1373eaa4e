package org.xenpostcopy.architecture;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layer rules can fail: the same rule objects as {@link LayerRulesTest}, rooted at the deliberately broken
 * fixture {@code archfixture.bad}, report the class that breaks each of them, and not the classes that do what the
 * rule allows (so a rule that reports everything would not pass here either).
 */
class LayerRulesFixtureTest {
    private static final String FIXTURE = "archfixture.bad";
    private static JavaClasses fixture;

    @BeforeAll
    static void importFixture() {
        fixture = new ClassFileImporter().importPackages(FIXTURE);
    }

    @Test
    void modulesDependOneWayReportsBindingsThatKnowTheEngine() {
        assertReports(LayerRules.modulesDependOneWay(FIXTURE), "xen.LeaksUpward", "balloon.Controller");
    }

    @Test
    void jnaStaysInNativeHostReportsJnaInTheEmulatedHost() {
        assertReports(LayerRules.jnaStaysInNativeHost(FIXTURE), "xen.emulated.OwnLibC", "xen.nativehost.NativeCall");
    }

    @Test
    void thriftStaysAtTheEdgeReportsThriftInTheEngine() {
        assertReports(LayerRules.thriftStaysAtTheEdge(FIXTURE), "migration.source.Sender",
                "migration.protocol.Adapter", "migration.protocol.thrift.TGenerated");
    }

    @Test
    void tlsLibrariesStayInTlsReportThemInTheProtocolPackage() {
        assertReports(LayerRules.tlsLibrariesStayInTls(FIXTURE), "migration.protocol.OwnPem", "migration.tls.Pem",
                "migration.tls.Engines");
        assertReports(LayerRules.tlsLibrariesStayInTls(FIXTURE), "migration.protocol.OwnEngine");
    }

    @Test
    void metricsStayInTheDaemonReportsTheEngineCountingItself() {
        assertReports(LayerRules.metricsStayInTheDaemon(FIXTURE), "migration.engine.CountsItself",
                "migration.daemon.Metrics");
    }

    @Test
    void engineDoesNotKnowWhichHostReportsTheEngineAndTheBalloonNamingAHost() {
        ArchRule rule = LayerRules.engineDoesNotKnowWhichHost(FIXTURE);
        assertReports(rule, "migration.engine.Engine", "migration.cli.Wiring");
        assertReports(rule, "balloon.Controller");
    }

    @Test
    void packagesAreFreeOfCyclesReportsTwoPackagesImportingEachOther() {
        ArchRule rule = LayerRules.packagesAreFreeOfCycles(FIXTURE);
        assertReports(rule, "ping.Ping", "migration.protocol.thrift.TGenerated");
        assertReports(rule, "pong.Pong");
    }

    @Test
    void hostsArePeersReportsTheEmulatedHostNamingTheNativeOne() {
        assertReports(LayerRules.hostsArePeers(FIXTURE), "xen.emulated.BorrowsNative", "xen.emulated.OwnLibC",
                "migration.cli.Wiring");
    }

    /** The rule fails, naming {@code broken}, and names none of {@code allowed} (all relative to the fixture root). */
    private static void assertReports(ArchRule rule, String broken, String... allowed) {
        EvaluationResult result = rule.evaluate(fixture);
        String report = result.getFailureReport().toString();
        assertTrue(result.hasViolation(), () -> rule.getDescription() + " found nothing in the fixture");
        assertTrue(report.contains(FIXTURE + "." + broken), () -> "expected " + broken + " in:\n" + report);
        for (String ok : allowed) {
            boolean named = Pattern.compile(Pattern.quote(FIXTURE + "." + ok) + "(?!\\w)").matcher(report).find();
            assertFalse(named, () -> ok + " is allowed, yet reported in:\n" + report);
        }
    }
}
