package crawler

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webhealth/webhealth/internal/target"
)

// The crawler's benchmarks (docs/benchmarks.md, issue 6). Every one probes, through the real
// prober, a loopback HTTP server in a child process (benchserver_test.go), and publishes through
// counting fakes of DynamoDB and CloudWatch (benchfakes_test.go). The long ones are meant to be
// run once: go test -run '^$' -bench . -benchtime=1x ./internal/crawler/

// lambdaTimeout is the invocation deadline given to each run, as Lambda would (its maximum).
const lambdaTimeout = 15 * time.Minute

// benchCrawler builds the crawler of a benchmark: concurrency conc, private targets allowed, the
// real prober, counting fakes; the alarms are seeded as a previous run left them, so every
// iteration is the same steady-state run.
func benchCrawler(b *testing.B, conc int, urls []string) (*Crawler, *benchDB, *benchCW) {
	b.Helper()
	cfg := testConfig()
	cfg.Concurrency = conc
	cfg.AllowPrivateTargets = true
	db, cw := newBenchDB(urls), newBenchCW()
	c := newTestCrawler(b, cfg, db, cw)
	cw.seed(c, db)
	return c, db, cw
}

// crawl does one run and fails the benchmark unless every target was checked, found up and its
// last_check written; it returns the run's summary and DynamoDB calls.
func crawl(b *testing.B, c *Crawler, db *benchDB) (Summary, benchCalls) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), lambdaTimeout)
	defer cancel()
	sum, err := c.Run(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if n := len(db.urls); sum.Checked != n || sum.Down != 0 || sum.Skipped != 0 {
		b.Fatalf("run checked %d of %d targets, %d down, %d skipped", sum.Checked, n, sum.Down, sum.Skipped)
	}
	calls, err := db.take()
	if err != nil {
		b.Fatal(err)
	}
	return sum, calls
}

// BenchmarkProbeCPU is the prober's CPU time per probe (user+sys of this process from getrusage;
// the server is another process) on plain HTTP with phase timing, one fresh connection per probe
// as in a run. The probes run as the crawler runs them: DefaultConcurrency at a time; an operation
// is a batch of probeBatch probes, so that -benchtime=1x still measures thousands, and every figure
// is per probe (B/op and allocs/op too, from the runtime's counters, as is ns/op: wall time per
// probe). seq-cpu-ms/probe is the same measure with one probe at a time, the worst case: no other
// probe's work overlaps the thread hand-offs of a lone request.
func BenchmarkProbeCPU(b *testing.B) {
	const probeBatch, seqProbes = 4000, 1000
	urls := benchURLs(b, benchListeners, 0, 1024)
	c, _, _ := benchCrawler(b, 1, urls[:1])
	ctx, cancel := context.WithTimeout(context.Background(), lambdaTimeout)
	defer cancel()
	// Successive probes go to different server addresses, like a run's targets.
	tgs := make([]target.Target, len(urls))
	for i, u := range urls {
		tgs[i] = testTarget(i, u)
	}
	b.ReportAllocs()
	probe := func(i int) {
		tg := tgs[i%len(tgs)]
		if lc := target.Judge(tg, c.prober.Probe(ctx, tg)); !lc.Available {
			b.Error(lc.Error)
		}
	}

	before := cpuTime(b)
	for i := range seqProbes {
		probe(i)
	}
	seq := ms(cpuTime(b)-before) / seqProbes

	var cpu, wall time.Duration
	var mem0, mem1 runtime.MemStats
	var allocs, bytes uint64
	probes := 0
	for b.Loop() {
		runtime.ReadMemStats(&mem0)
		before, start := cpuTime(b), time.Now()
		probeConcurrently(probeBatch, probe)
		wall += time.Since(start)
		cpu += cpuTime(b) - before
		runtime.ReadMemStats(&mem1)
		allocs += mem1.Mallocs - mem0.Mallocs
		bytes += mem1.TotalAlloc - mem0.TotalAlloc
		probes += probeBatch
	}
	if b.Failed() {
		return
	}
	b.ReportMetric(ms(cpu)/float64(probes), "cpu-ms/probe")
	b.ReportMetric(seq, "seq-cpu-ms/probe")
	b.ReportMetric(float64(wall.Nanoseconds())/float64(probes), "ns/op")
	b.ReportMetric(float64(bytes)/float64(probes), "B/op")
	b.ReportMetric(float64(allocs)/float64(probes), "allocs/op")
}

// probeConcurrently calls probe for 0 to n-1, DefaultConcurrency at a time, as a run's pool does.
func probeConcurrently(n int, probe func(i int)) {
	next := make(chan int)
	var workers sync.WaitGroup
	for range DefaultConcurrency {
		workers.Go(func() {
			for i := range next {
				probe(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	workers.Wait()
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuTime is the user+sys CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCrawlMemory is the peak heap and peak RSS of a run of 10,000 targets; the body size
// must not matter, since the prober reads a bounded number of body bytes and keeps none.
func BenchmarkCrawlMemory(b *testing.B) {
	const n, conc = 10000, 200
	for _, body := range []struct {
		name string
		size int
	}{{"1KiB", 1 << 10}, {"1MiB", 1 << 20}} {
		b.Run(fmt.Sprintf("N=%d/body=%s", n, body.name), func(b *testing.B) {
			c, db, _ := benchCrawler(b, conc, benchURLs(b, n, 0, body.size))
			// What earlier benchmarks left on the heap or in RSS is not this run's.
			runtime.GC()
			debug.FreeOSMemory()
			peak := startMemSampler(b)
			for b.Loop() {
				crawl(b, c, db)
			}
			heap, rss := peak()
			b.ReportMetric(float64(heap)/1e6, "peak-heap-MB")
			b.ReportMetric(float64(rss)/1e6, "peak-rss-MB")
		})
	}
}

// startMemSampler samples the heap (live and not yet swept objects) and the resident set every
// millisecond until the returned function is called, which returns their peaks. The resident peak
// is the kernel's own high-water mark (VmHWM), reset here through /proc/self/clear_refs when the
// kernel allows it, and at least the highest VmRSS sampled.
func startMemSampler(b *testing.B) (peaks func() (heap, rss uint64)) {
	b.Helper()
	hwmReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var heap, rss uint64
	read := func() {
		metrics.Read(sample)
		heap = max(heap, sample[0].Value.Uint64())
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			read()
			if i%10 == 0 {
				rss = max(rss, procStatus(b, "VmRSS"))
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() (uint64, uint64) {
		once.Do(func() {
			close(stop)
			<-done
			read()
			rss = max(rss, procStatus(b, "VmRSS"))
			if hwmReset {
				rss = max(rss, procStatus(b, "VmHWM"))
			}
		})
		return heap, rss
	}
}

// procStatus is a memory figure of /proc/self/status, in bytes.
func procStatus(b *testing.B, field string) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Error(err)
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, value, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok || string(name) != field {
			continue
		}
		kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(value), []byte(" kB"))), 10, 64)
		if err != nil {
			b.Errorf("/proc/self/status %s: %v", field, err)
			return 0
		}
		return kb << 10
	}
	b.Errorf("/proc/self/status has no %s", field)
	return 0
}

// BenchmarkCrawlAWSCalls counts the AWS calls of a steady-state run of 10,000 targets (the alarms
// reconciled by a first run), against their floors: ceil(datums/1000) PutMetricData calls (1000 datums
// is the most a call takes, TestMetricRequestsStayUnderOneMegabyte), one UpdateItem per checked target
// (store.Targets.WriteLastCheck says why), and for the alarms only the listing, ceil(2N/100)
// DescribeAlarms pages: the bench targets are http, two alarms each (an https target has a third, its
// certificate alarm, so N https targets list in ceil(3N/100) pages).
func BenchmarkCrawlAWSCalls(b *testing.B) {
	const n, conc = 10000, 200
	b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
		urls := benchURLs(b, n, 0, 2)
		db, cw := newBenchDB(urls), newBenchCW()
		cfg := testConfig()
		cfg.Concurrency = conc
		cfg.AllowPrivateTargets = true
		c := newTestCrawler(b, cfg, db, cw)
		if sum, _ := crawl(b, c, db); sum.AlarmsCreated != 2*n {
			b.Fatalf("first run created %d alarms, want %d", sum.AlarmsCreated, 2*n)
		}
		cw.take()
		var sum Summary
		var dbCalls, cwCalls benchCalls
		for b.Loop() {
			sum, dbCalls = crawl(b, c, db)
			cwCalls = cw.take()
		}
		b.ReportMetric(float64(cwCalls.Datums), "datums")
		b.ReportMetric(float64(cwCalls.PutMetricData), "PutMetricData-calls")
		b.ReportMetric(math.Ceil(float64(cwCalls.Datums)/maxDatumsPerCall), "PutMetricData-floor")
		b.ReportMetric(float64(dbCalls.UpdateItem), "DynamoDB-write-calls")
		b.ReportMetric(float64(sum.Checked), "DynamoDB-write-floor")
		b.ReportMetric(float64(cwCalls.DescribeAlarms+cwCalls.PutMetricAlarm+cwCalls.DeleteAlarms), "alarm-API-calls")
	})
}

// BenchmarkSchedule is the crawler's scheduling efficiency: N targets on a server that answers
// after D, at concurrency C, against the ideal ceil(N/C)·D. C=1 is the sequential baseline (one URL
// after another, as the seed projects probed). The AWS fakes answer at once: this is the pool's
// own overhead.
func BenchmarkSchedule(b *testing.B) {
	cases := []struct{ n, c int }{{100, 1}}
	for _, n := range []int{100, 1000, 10000} {
		for _, c := range []int{10, 50, 200} {
			cases = append(cases, struct{ n, c int }{n, c})
		}
	}
	for _, tc := range cases {
		b.Run(fmt.Sprintf("N=%d/C=%d", tc.n, tc.c), func(b *testing.B) { benchSchedule(b, tc.n, tc.c, 0, 0) })
	}
}

// BenchmarkScheduleAWSLatency is BenchmarkSchedule with AWS answering after typical in-region
// round trips (DynamoDB 5 ms, CloudWatch 20 ms a call): the last_check writes must not hold probe
// slots, nor listing 2N alarms (a DescribeAlarms call per 100) lengthen the run.
func BenchmarkScheduleAWSLatency(b *testing.B) {
	for _, tc := range []struct{ n, c int }{{1000, 50}, {10000, 200}} {
		b.Run(fmt.Sprintf("N=%d/C=%d", tc.n, tc.c), func(b *testing.B) {
			benchSchedule(b, tc.n, tc.c, 5*time.Millisecond, 20*time.Millisecond)
		})
	}
}

func benchSchedule(b *testing.B, n, conc int, dbLatency, cwLatency time.Duration) {
	const delay = 100 * time.Millisecond
	c, db, cw := benchCrawler(b, conc, benchURLs(b, n, delay, 2))
	db.latency, cw.latency = dbLatency, cwLatency
	ideal := time.Duration(math.Ceil(float64(n)/float64(conc))) * delay
	var wall time.Duration
	runs := 0
	for b.Loop() {
		start := time.Now()
		crawl(b, c, db)
		wall += time.Since(start)
		runs++
	}
	wall /= time.Duration(runs)
	b.ReportMetric(ms(wall), "wall-ms")
	b.ReportMetric(ms(ideal), "ideal-ms")
	b.ReportMetric(float64(wall-ideal)/float64(ideal)*100, "over-ideal-%")
}

// BenchmarkRunOverhead is a whole run's CPU per target on top of the bare probes: the same N
// targets are probed bare (DefaultConcurrency at a time, as BenchmarkProbeCPU) and judged by a
// steady-state run at the same concurrency (scan, plan, judge, metric batches, last_check writes,
// the alarm listing and comparison) against the bench fakes, which answer at once. Both figures are
// this process's user+sys CPU per target; overhead-us/probe is their difference (the fakes' own
// work is in it, so it is an upper bound of the run's).
func BenchmarkRunOverhead(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			urls := benchURLs(b, n, 0, 1024)
			c, db, _ := benchCrawler(b, DefaultConcurrency, urls)
			ctx, cancel := context.WithTimeout(context.Background(), lambdaTimeout)
			defer cancel()
			tgs := make([]target.Target, n)
			for i := range tgs {
				tgs[i] = db.target(i)
			}
			crawl(b, c, db) // warm: connections' first use, the alarms compared once
			var bare, run time.Duration
			for b.Loop() {
				before := cpuTime(b)
				probeConcurrently(n, func(i int) {
					if lc := target.Judge(tgs[i], c.prober.Probe(ctx, tgs[i])); !lc.Available {
						b.Error(lc.Error)
					}
				})
				bare += cpuTime(b) - before

				before = cpuTime(b)
				crawl(b, c, db)
				run += cpuTime(b) - before
			}
			per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n*b.N) }
			b.ReportMetric(per(bare), "bare-cpu-us/probe")
			b.ReportMetric(per(run), "run-cpu-us/probe")
			b.ReportMetric(per(run-bare), "overhead-us/probe")
		})
	}
}
