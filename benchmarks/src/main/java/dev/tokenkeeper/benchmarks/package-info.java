/** JMH benchmarks and probes of TokenKeeper's hot paths. Not null-marked: JMH sets their state fields by reflection. */
package dev.tokenkeeper.benchmarks;
