// Command floor is the durable floor: the least any server can do that durably accepts Vigil's
// events and answers as Vigil does. It is a plain net/http server that decodes each JSON body,
// appends it to a log file with group commit (the requests waiting at the same moment share one
// write and one fsync) and only after that fsync answers 201 with a fixed body: one of Vigil's
// own answers, so it carries as many bytes. No validation, no state, no rules. Vigil's event
// path is measured against it: what Vigil costs beyond it is its work, not durability or HTTP.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
)

// pending is one request's record waiting for the log's next sync.
type pending struct {
	record []byte
	done   chan error
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8091", "address to listen on")
	path := flag.String("log", "floor.log", "the log file records are appended to")
	replyFile := flag.String("reply", "", "a file whose bytes answer every request (one of Vigil's answers)")
	flag.Parse()
	reply := []byte(`{"status":"ok"}`)
	if *replyFile != "" {
		var err error
		if reply, err = os.ReadFile(*replyFile); err != nil {
			log.Fatal(err)
		}
	}
	f, err := os.OpenFile(*path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		log.Fatal(err)
	}
	queue := make(chan pending, 4096)
	go appendLoop(f, queue)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"message":"bad JSON"}`, http.StatusBadRequest)
			return
		}
		record, _ := json.Marshal(body)
		p := pending{record: append(record, '\n'), done: make(chan error, 1)}
		queue <- p
		if err := <-p.done; err != nil {
			http.Error(w, `{"message":"not stored"}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		w.WriteHeader(http.StatusCreated)
		w.Write(reply)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}

// appendLoop takes every record waiting, writes them with one call, syncs once, and only then
// releases their requests: group commit, as Vigil's SQLite writer does.
func appendLoop(f *os.File, queue <-chan pending) {
	var group []pending
	var buf []byte
	for first := range queue {
		group, buf = append(group[:0], first), append(buf[:0], first.record...)
	drain:
		for {
			select {
			case p := <-queue:
				group = append(group, p)
				buf = append(buf, p.record...)
			default:
				break drain
			}
		}
		_, err := f.Write(buf)
		if err == nil {
			err = f.Sync()
		}
		for _, p := range group {
			p.done <- err
		}
	}
}
