// Command echo is the performance baseline: a plain net/http server that decodes each JSON body
// and writes it back, with no storage and no logic. Vigil's event path is measured against it.
//
// With --reply it answers every request with that file's bytes instead, after decoding the body
// all the same: given one of Vigil's answers, it measures what Vigil's wire contract alone (its
// larger answer, on both sides of the connection) costs, with none of Vigil's work.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	replyFile := flag.String("reply", "", "a file whose bytes answer every request instead of its body")
	flag.Parse()
	var reply []byte
	if *replyFile != "" {
		var err error
		if reply, err = os.ReadFile(*replyFile); err != nil {
			log.Fatal(err)
		}
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"message":"bad JSON"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if reply != nil {
			w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
			w.WriteHeader(http.StatusCreated)
			w.Write(reply)
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(body)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
