package org.xenpostcopy.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.alwaysTrue;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;

/**
 * The package rules of {@code ARCHITECTURE.md} and {@code STYLE.md}, one factory per rule, each parameterised by
 * the package root so the same rule runs on the project ({@code org.xenpostcopy}, {@link LayerRulesTest}) and on a
 * deliberately broken fixture ({@code archfixture.bad}, {@link LayerRulesFixtureTest}).
 */
final class LayerRules {
    static final String ROOT = "org.xenpostcopy";

    private LayerRules() {
    }

    /** (a) migration-plugin → balloon-driver-control → xen-bindings, never the other way. */
    static ArchRule modulesDependOneWay(String root) {
        return layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("xen-bindings").definedBy(root + ".xen..")
                .layer("balloon-driver-control").definedBy(root + ".balloon..")
                .layer("migration-plugin").definedBy(root + ".migration..")
                .whereLayer("migration-plugin").mayNotBeAccessedByAnyLayer()
                .whereLayer("balloon-driver-control").mayOnlyBeAccessedByLayers("migration-plugin")
                .because("dependencies point one way, migration-plugin -> balloon-driver-control -> xen-bindings, "
                        + "so the bindings and the balloon controller build, test and ship without the engine "
                        + "above them");
    }

    /** (b) JNA only in {@code xen.nativehost}. */
    static ArchRule jnaStaysInNativeHost(String root) {
        return noClasses().that().resideInAPackage(root + "..")
                .and().resideOutsideOfPackage(root + ".xen.nativehost..")
                .should().dependOnClassesThat().resideInAPackage("com.sun.jna..")
                .because("native code stays behind one wall: above xen.nativehost only plain Java types cross, "
                        + "never a JNA type, so the emulated host and the engine run wherever Java runs");
    }

    /** (c) Thrift, the library and the generated code, only in {@code migration.protocol}. */
    static ArchRule thriftStaysAtTheEdge(String root) {
        return noClasses().that().resideInAPackage(root + "..")
                .and().resideOutsideOfPackage(root + ".migration.protocol..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.thrift..",
                        root + ".migration.protocol.thrift..")
                .because("Thrift stays at the edge: migration.protocol converts wire structs to domain records at once "
                        + "and is the only place a Thrift type appears, so the wire can change (TLS, recovery) "
                        + "without touching the engine");
    }

    /**
     * (d) The engine (every {@code migration} package but the ones that wire concrete hosts together) and the balloon
     * controller see only the {@code xen} interfaces, never a concrete host.
     */
    static ArchRule engineDoesNotKnowWhichHost(String root) {
        return noClasses().that().resideInAnyPackage(root + ".migration..", root + ".balloon..")
                .and().resideOutsideOfPackages(root + ".migration.cli..", root + ".migration.daemon..",
                        root + ".migration.bench..")
                .should().dependOnClassesThat().resideInAnyPackage(root + ".xen.emulated..",
                        root + ".xen.nativehost..")
                .because("the engine never asks whether the host is emulated or native: it is written against the "
                        + "xen interfaces, and only cli, daemon and bench choose a concrete host");
    }

    /** (e) No cycles between packages; the generated Thrift package is left out (its code is not ours to shape). */
    static ArchRule packagesAreFreeOfCycles(String root) {
        String generated = root + ".migration.protocol.thrift..";
        return slices().matching(root + ".(**)").should().beFreeOfCycles()
                .ignoreDependency(resideInAPackage(generated), alwaysTrue())
                .ignoreDependency(alwaysTrue(), resideInAPackage(generated))
                .because("a package cycle makes two packages one: neither can be understood, tested or "
                        + "replaced without the other");
    }

    /**
     * (f) The emulated and the native host are peers: neither names the other (what they share lives below them, in
     * {@code xen}, {@code xen.ring}, {@code xen.xswire}, {@code xen.offheap}).
     */
    static ArchRule hostsArePeers(String root) {
        String emulated = root + ".xen.emulated..";
        String nativehost = root + ".xen.nativehost..";
        return CompositeArchRule
                .of(noClasses().that().resideInAPackage(emulated)
                        .should().dependOnClassesThat().resideInAPackage(nativehost))
                .and(noClasses().that().resideInAPackage(nativehost)
                        .should().dependOnClassesThat().resideInAPackage(emulated))
                .because("the emulated host is a peer of the native host, not a mock of it: both implement the xen "
                        + "interfaces, and each runs, and is tested, without the other");
    }

    /**
     * (g) The TLS libraries only in {@code migration.tls}: BouncyCastle (PEM files, the lab CA) and Netty
     * (BoringSSL's engines).
     */
    static ArchRule tlsLibrariesStayInTls(String root) {
        return noClasses().that().resideInAPackage(root + "..")
                .and().resideOutsideOfPackage(root + ".migration.tls..")
                .should().dependOnClassesThat().resideInAnyPackage("org.bouncycastle..", "io.netty..")
                .because("every connection gets its engine from migration.tls as a plain SSLEngine: BouncyCastle "
                        + "only reads and writes PEM and makes lab certificates, Netty only makes BoringSSL's "
                        + "engines, so no other code grows a second crypto stack or a provider dependency");
    }

    /** (h) The metrics library (Prometheus' client) only in {@code migration.daemon}. */
    static ArchRule metricsStayInTheDaemon(String root) {
        return noClasses().that().resideInAPackage(root + "..")
                .and().resideOutsideOfPackage(root + ".migration.daemon..")
                .should().dependOnClassesThat().resideInAPackage("io.prometheus..")
                .because("the engine speaks plain Java: its migrations tell a MigrationWatcher, and only the daemon's "
                        + "DaemonMetrics and MetricsEndpoint know the metrics library, so tests, labs and the "
                        + "benchmark run the engine without it");
    }
}
