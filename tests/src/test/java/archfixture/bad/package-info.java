/**
 * A deliberately broken miniature of the project's package tree, for {@code LayerRulesFixtureTest}: each layer rule
 * must report the one class here that breaks it and stay quiet about the ones that do what the rules allow. Do not
 * fix these classes; they are wrong on purpose.
 */
package archfixture.bad;
