package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vigil-aml/vigil/internal/vigil"
)

// refreshSpec is one --lists-refresh: URLs downloaded and imported together (OFAC's sdn.csv,
// alt.csv and add.csv are one list) every interval.
type refreshSpec struct {
	urls     []string
	interval time.Duration
}

// refreshSpecs is the repeatable --lists-refresh flag.
type refreshSpecs []refreshSpec

func (r *refreshSpecs) String() string { return "" }

// Set reads URL[,URL...],INTERVAL.
func (r *refreshSpecs) Set(v string) error {
	parts := strings.Split(v, ",")
	if len(parts) < 2 {
		return errors.New("want URL[,URL...],INTERVAL, e.g. https://example.org/sdn.xml,24h")
	}
	interval, err := time.ParseDuration(parts[len(parts)-1])
	if err != nil || interval < listsMinInterval {
		return fmt.Errorf("interval %q: a duration of at least 1m (24h, 6h, ...)", parts[len(parts)-1])
	}
	spec := refreshSpec{interval: interval}
	for _, u := range parts[:len(parts)-1] {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("%q is not an http or https URL", u)
		}
		spec.urls = append(spec.urls, u)
	}
	*r = append(*r, spec)
	return nil
}

// maxListDownload bounds one downloaded list file: the largest official lists are a few
// hundred MB (OpenSanctions' default dataset as FollowTheMoney JSON lines).
const maxListDownload = 2 << 30

// listsMinInterval is the least --lists-refresh interval; tests shorten it.
var listsMinInterval = time.Minute

// startListRefresh refreshes each spec's lists at start and then every interval, until the
// returned function is called (it waits for a refresh in progress).
func startListRefresh(svc *vigil.Service, specs refreshSpecs, log *slog.Logger) func() {
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Minute}
	for _, spec := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				refreshLists(ctx, svc, client, spec, log)
				select {
				case <-ctx.Done():
					return
				case <-time.After(spec.interval):
				}
			}
		}()
	}
	return func() { stop(); wg.Wait() }
}

// refreshLists downloads a spec's files and imports them. A failed download, a status other
// than 200, a file too large or one that does not parse changes nothing: the lists stored stay.
func refreshLists(ctx context.Context, svc *vigil.Service, client *http.Client, spec refreshSpec, log *slog.Logger) {
	var files []io.Reader
	for _, u := range spec.urls {
		f, err := download(ctx, client, u)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("lists refresh: download failed; the stored lists are kept", "url", u, "err", err)
			}
			return
		}
		defer os.Remove(f.Name())
		defer f.Close()
		files = append(files, f)
	}
	changes, err := svc.ImportLists(ctx, files...)
	if err != nil {
		log.Warn("lists refresh: import failed; the stored lists are kept", "urls", strings.Join(spec.urls, ","), "err", err)
		return
	}
	for _, c := range changes {
		log.Info("lists refresh", "list", c.List.ID, "entries", c.List.Entries, "added", c.Added, "changed", c.Changed,
			"removed", c.Removed, "published", c.List.Published)
	}
}

// download saves a URL's body to a temporary file, positioned at its start.
func download(ctx context.Context, client *http.Client, u string) (*os.File, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	f, err := os.CreateTemp("", "vigil-list-*")
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, maxListDownload+1))
	if err == nil && n > maxListDownload {
		err = fmt.Errorf("larger than %d bytes", maxListDownload)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// listsRefreshFlag registers --lists-refresh.
func listsRefreshFlag(fs *flag.FlagSet) *refreshSpecs {
	specs := &refreshSpecs{}
	fs.Var(specs, "lists-refresh", "URL[,URL...],INTERVAL: download these list files and import them together at start and every INTERVAL (repeatable; docs/screening.md)")
	return specs
}
